package io.cvpipe.common.augment;

/**
 * A crop of the source image (top-left corner and size, in source pixels) and whether it is mirrored.
 * Stored parameters like this one are what makes an augmentation replayable: the same box on the same bytes
 * gives the same pixels.
 */
public record CropBox(int top, int left, int height, int width, boolean flip) implements java.io.Serializable {}
