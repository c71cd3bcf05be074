package dev.lading.server.http;

import dev.lading.core.model.ByteRange;
import dev.lading.core.storage.BlobSource;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.FileRegion;
import java.io.Closeable;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Where the bytes of a {@code multipart/byteranges} answer's parts come from (see {@link
 * Exchange#respondParts}), which takes ownership and closes what is left.
 */
sealed interface PartBytes extends Closeable {

  /**
   * Every part out of one open file: the blob opened once over the range covering all parts, so a
   * request holds one file descriptor however many parts it asks for, and the parts go out as
   * zero-copy regions of it. The file closes when the writer is done with it and the last of its
   * regions was sent or discarded.
   */
  final class OneFile implements PartBytes {
    private final BlobSource.FileSource source;
    private final long coveringFirst;

    /** The writer and every region not yet released. */
    private final AtomicInteger holders = new AtomicInteger(1);

    private final AtomicBoolean closed = new AtomicBoolean();

    /** {@code source} holds the range starting at blob position {@code coveringFirst}. */
    OneFile(BlobSource.FileSource source, long coveringFirst) {
      this.source = source;
      this.coveringFirst = coveringFirst;
    }

    FileChannel channel() {
      return source.channel();
    }

    /** Where {@code part}'s first byte is in the file. */
    long position(ByteRange part) {
      return source.offset() + (part.first() - coveringFirst);
    }

    /**
     * A region of {@code part} that leaves the file open when it is released: a {@link
     * DefaultFileRegion}, which the epoll transport sends with {@code sendfile} (any other region
     * type it copies through user space).
     */
    FileRegion region(ByteRange part) {
      holders.incrementAndGet();
      return new DefaultFileRegion(source.channel(), position(part), part.length()) {
        @Override
        protected void deallocate() {
          letGo();
        }
      };
    }

    /** One holder less; the last one closes the file. */
    private void letGo() {
      if (holders.decrementAndGet() == 0) {
        try {
          source.close();
        } catch (IOException ignored) {
          // a read-only file: nothing was lost
        }
      }
    }

    /** The writer is done; the file closes now or with the last region. */
    @Override
    public void close() {
      if (closed.compareAndSet(false, true)) {
        letGo();
      }
    }
  }

  /**
   * Each part opened when its turn comes, so a stream store makes one bounded ranged read per part
   * and never holds more than one open; the first part is already open (opening it is how the
   * handler learned what kind of source the store gives).
   */
  final class EachPart implements PartBytes {
    private BlobSource first;
    private final Opener opener;

    EachPart(BlobSource first, Opener opener) {
      this.first = first;
      this.opener = opener;
    }

    /** Part {@code index}'s bytes, exactly {@code part.length()} of them; the caller closes it. */
    BlobSource open(int index, ByteRange part) throws IOException {
      BlobSource source;
      if (index == 0 && first != null) {
        source = first;
        first = null;
      } else {
        source = opener.open(part);
      }
      if (source.length() != part.length()) {
        source.close();
        throw new IOException(
            "blob changed while its parts were sent: "
                + source.length()
                + " bytes for "
                + part.first()
                + "-"
                + part.last());
      }
      return source;
    }

    @Override
    public void close() throws IOException {
      if (first != null) {
        BlobSource unused = first;
        first = null;
        unused.close();
      }
    }
  }

  /** Opens one range of the blob. */
  @FunctionalInterface
  interface Opener {
    BlobSource open(ByteRange part) throws IOException;
  }
}
