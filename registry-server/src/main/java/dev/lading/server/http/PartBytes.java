package dev.lading.server.http;

import dev.lading.core.model.ByteRange;
import dev.lading.core.storage.BlobSource;
import io.netty.channel.DefaultFileRegion;
import io.netty.channel.FileRegion;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.nio.channels.FileChannel;
import java.util.List;
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
   * Parts read from ranged reads opened as their turn comes, so a stream store never holds more
   * than one read open. Parts close together share one read ({@link PartGroups}): the read covers
   * the group, each part takes its bytes in turn and the gaps between them are read and dropped
   * through a small scratch buffer, never held. A part alone is one ranged read of its own bytes.
   * The first read is already open (opening it is how the handler learned what kind of source the
   * store gives).
   */
  final class EachPart implements PartBytes {
    private static final int SKIP_BUFFER_BYTES = 8 * 1024;

    private final List<ByteRange> groups;
    private final Opener opener;

    /** The read open now, or null; {@code position} is the blob position of its next byte. */
    private BlobSource current;

    private long position;
    private long currentEnd; // exclusive
    private byte[] scratch;

    /**
     * {@code groups}: for each part, the range its group covers ({@link PartGroups#plan}); {@code
     * first}: that range of part 0, already open, or null.
     */
    EachPart(BlobSource first, List<ByteRange> groups, Opener opener) {
      this.groups = groups;
      this.opener = opener;
      if (first != null) {
        current = first;
        position = groups.get(0).first();
        currentEnd = groups.get(0).last() + 1;
      }
    }

    /** Part {@code index}'s bytes, exactly {@code part.length()} of them; the caller closes it. */
    BlobSource open(int index, ByteRange part) throws IOException {
      boolean inCurrent =
          current instanceof BlobSource.StreamSource
              && position <= part.first()
              && part.last() < currentEnd;
      if (current != null && !inCurrent) {
        closeCurrent();
      }
      if (current == null) {
        ByteRange rest = new ByteRange(part.first(), groups.get(index).last());
        current = checked(opener.open(rest), rest);
        position = rest.first();
        currentEnd = rest.last() + 1;
      }
      if (current instanceof BlobSource.FileSource) {
        // A store that gave a file here: the file serves this part alone when it is exactly that.
        if (position == part.first() && currentEnd == part.last() + 1) {
          BlobSource whole = current;
          current = null;
          return whole;
        }
        closeCurrent();
        return checked(opener.open(part), part);
      }
      InputStream shared = ((BlobSource.StreamSource) current).stream();
      skip(shared, part.first() - position);
      position = part.last() + 1;
      return new BlobSource.StreamSource(new PartOfRead(shared, part.length()), part.length());
    }

    private static BlobSource checked(BlobSource source, ByteRange range) throws IOException {
      if (source.length() != range.length()) {
        source.close();
        throw new IOException(
            "blob changed while its parts were sent: "
                + source.length()
                + " bytes for "
                + range.first()
                + "-"
                + range.last());
      }
      return source;
    }

    /** Reads and drops {@code count} bytes of a gap between two parts of one read. */
    private void skip(InputStream in, long count) throws IOException {
      if (count == 0) {
        return;
      }
      if (scratch == null) {
        scratch = new byte[SKIP_BUFFER_BYTES];
      }
      long left = count;
      while (left > 0) {
        int n = in.read(scratch, 0, (int) Math.min(scratch.length, left));
        if (n < 0) {
          throw new IOException("blob ended inside the gap between two parts");
        }
        left -= n;
      }
    }

    private void closeCurrent() throws IOException {
      if (current != null) {
        BlobSource open = current;
        current = null;
        open.close();
      }
    }

    @Override
    public void close() throws IOException {
      closeCurrent();
    }

    /**
     * One part's bytes out of the shared read. Closing it leaves the read open for the next part,
     * unless this part was left unfinished (the read is then out of step and closed) or it was the
     * read's last part (closed now, so its connection goes back to the pool at once).
     */
    private final class PartOfRead extends InputStream {
      private final InputStream shared;
      private long left;
      private boolean closed;

      PartOfRead(InputStream shared, long length) {
        this.shared = shared;
        this.left = length;
      }

      @Override
      public int read() throws IOException {
        byte[] one = new byte[1];
        int n = read(one, 0, 1);
        return n < 0 ? -1 : one[0] & 0xff;
      }

      @Override
      public int read(byte[] b, int off, int len) throws IOException {
        if (left == 0) {
          return -1;
        }
        int n = shared.read(b, off, (int) Math.min(len, left));
        if (n < 0) {
          throw new IOException("blob ended inside a part");
        }
        left -= n;
        return n;
      }

      @Override
      public void close() throws IOException {
        if (closed) {
          return; // closed once as the part's source, once as its stream
        }
        closed = true;
        if (left > 0 || position == currentEnd) {
          closeCurrent();
        }
      }
    }
  }

  /** Opens one range of the blob. */
  @FunctionalInterface
  interface Opener {
    BlobSource open(ByteRange part) throws IOException;
  }
}
