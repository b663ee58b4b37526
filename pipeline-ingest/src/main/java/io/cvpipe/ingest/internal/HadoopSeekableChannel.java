package io.cvpipe.ingest.internal;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.NonWritableChannelException;
import java.nio.channels.SeekableByteChannel;
import org.apache.hadoop.fs.FSDataInputStream;

/** A read-only {@link SeekableByteChannel} over a Hadoop stream, so commons-compress can index a tar on s3a. */
final class HadoopSeekableChannel implements SeekableByteChannel {

  private final FSDataInputStream in;
  private final long size;
  private long position;
  private boolean open = true;

  HadoopSeekableChannel(FSDataInputStream in, long size) {
    this.in = in;
    this.size = size;
  }

  @Override
  public int read(ByteBuffer dst) throws IOException {
    if (position >= size) {
      return -1;
    }
    if (in.getPos() != position) {
      in.seek(position);
    }
    int want = (int) Math.min(dst.remaining(), size - position);
    byte[] buffer = new byte[want];
    int n = in.read(buffer, 0, want);
    if (n > 0) {
      dst.put(buffer, 0, n);
      position += n;
    }
    return n;
  }

  @Override
  public int write(ByteBuffer src) {
    throw new NonWritableChannelException();
  }

  @Override
  public long position() {
    return position;
  }

  @Override
  public SeekableByteChannel position(long newPosition) {
    position = newPosition;
    return this;
  }

  @Override
  public long size() {
    return size;
  }

  @Override
  public SeekableByteChannel truncate(long newSize) {
    throw new NonWritableChannelException();
  }

  @Override
  public boolean isOpen() {
    return open;
  }

  @Override
  public void close() throws IOException {
    open = false;
    in.close();
  }
}
