package io.cvpipe.common.image;

/** What validation learnt about an accepted image. */
public record ImageInfo(ImageFormat format, int width, int height, int channels) {}
