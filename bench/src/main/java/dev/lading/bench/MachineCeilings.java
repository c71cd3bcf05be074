package dev.lading.bench;

import com.sun.nio.file.ExtendedOpenOption;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * What this machine can do at most, so the registries' numbers can be read against it: a push
 * cannot beat single-core SHA-256 (the digest is one sequential hash) nor the disk with fsync, and
 * no transfer beats loopback TCP.
 */
final class MachineCeilings {

  private static final int BLOCK = 1 << 20;

  private MachineCeilings() {}

  /** JDK MessageDigest SHA-256 over {@code bytes} in 1 MiB updates, MB/s. */
  static double sha256(long bytes) throws NoSuchAlgorithmException {
    byte[] block = randomBlock();
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    // A short warm-up so the JIT has compiled the intrinsic path before timing starts.
    for (int i = 0; i < 64; i++) {
      sha.update(block);
    }
    sha.digest();
    long start = System.nanoTime();
    for (long done = 0; done < bytes; done += BLOCK) {
      sha.update(block, 0, (int) Math.min(BLOCK, bytes - done));
    }
    sha.digest();
    return Measurement.megabytesPerSecond(bytes, System.nanoTime() - start);
  }

  /** Writes a file of {@code bytes} in 1 MiB writes, then fsyncs; MB/s including the fsync. */
  static double diskWriteWithFsync(Path directory, long bytes) throws IOException {
    Path file = directory.resolve("disk-ceiling.bin");
    ByteBuffer block = ByteBuffer.wrap(randomBlock());
    try (FileChannel channel =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
      long start = System.nanoTime();
      for (long done = 0; done < bytes; done += BLOCK) {
        block.clear().limit((int) Math.min(BLOCK, bytes - done));
        while (block.hasRemaining()) {
          channel.write(block);
        }
      }
      channel.force(true);
      return Measurement.megabytesPerSecond(bytes, System.nanoTime() - start);
    } finally {
      Files.deleteIfExists(file);
    }
  }

  /**
   * Writes a file of {@code bytes} in 1 MiB writes with direct I/O ({@code O_DIRECT}, no page
   * cache), then fsyncs; MB/s including the fsync. This is what the disk itself takes without the
   * kernel's page-cache work, which Lading's filesystem store skips the same way. NaN where the
   * filesystem refuses direct I/O.
   */
  static double diskWriteDirect(Path directory, long bytes) throws IOException {
    Path file = directory.resolve("disk-ceiling-direct.bin");
    int alignment = (int) Files.getFileStore(directory).getBlockSize();
    ByteBuffer block = ByteBuffer.allocateDirect(BLOCK + alignment).alignedSlice(alignment);
    block.put(randomBlock()).flip();
    long whole = bytes - bytes % alignment;
    try (FileChannel channel =
        FileChannel.open(
            file,
            StandardOpenOption.CREATE,
            StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE,
            ExtendedOpenOption.DIRECT)) {
      long start = System.nanoTime();
      for (long done = 0; done < whole; done += BLOCK) {
        block.clear().limit((int) Math.min(BLOCK, whole - done));
        while (block.hasRemaining()) {
          channel.write(block);
        }
      }
      channel.force(true);
      return Measurement.megabytesPerSecond(whole, System.nanoTime() - start);
    } catch (UnsupportedOperationException e) {
      return Double.NaN;
    } finally {
      Files.deleteIfExists(file);
    }
  }

  /** Sends {@code bytes} over a loopback TCP connection in 1 MiB writes; MB/s. */
  static double loopbackTcp(long bytes) throws IOException, InterruptedException {
    byte[] block = randomBlock();
    try (ServerSocket server = new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
        ExecutorService reader = Executors.newSingleThreadExecutor()) {
      Future<Long> received =
          reader.submit(
              () -> {
                try (Socket s = server.accept();
                    InputStream in = s.getInputStream()) {
                  byte[] sink = new byte[256 << 10];
                  long total = 0;
                  for (int n; (n = in.read(sink)) >= 0; ) {
                    total += n;
                  }
                  return total;
                }
              });
      long start;
      try (Socket client = new Socket()) {
        client.connect(
            new InetSocketAddress(InetAddress.getLoopbackAddress(), server.getLocalPort()));
        OutputStream out = client.getOutputStream();
        start = System.nanoTime();
        for (long done = 0; done < bytes; done += BLOCK) {
          out.write(block, 0, (int) Math.min(BLOCK, bytes - done));
        }
        client.shutdownOutput();
        long total = received.get();
        if (total != bytes) {
          throw new IOException("loopback received " + total + " of " + bytes + " bytes");
        }
      } catch (ExecutionException e) {
        throw new IOException(e.getCause());
      }
      return Measurement.megabytesPerSecond(bytes, System.nanoTime() - start);
    }
  }

  private static byte[] randomBlock() {
    byte[] block = new byte[BLOCK];
    new SplittableRandom(42).nextBytes(block);
    return block;
  }
}
