package dev.lading.storage.s3;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.UncheckedIOException;
import java.nio.file.NoSuchFileException;
import software.amazon.awssdk.awscore.exception.AwsServiceException;
import software.amazon.awssdk.core.exception.AbortedException;
import software.amazon.awssdk.core.exception.SdkException;

/**
 * Runs one S3 call and turns whatever the SDK throws into an {@link IOException} that says what was
 * attempted on which key and what S3 answered, so the SPI's callers see one failure type and an
 * operator can read the log without the SDK's stack. The SDK's own exception stays the cause.
 */
final class S3Calls {
  private S3Calls() {}

  interface Call<T> {
    T run() throws IOException;
  }

  static <T> T io(String what, Call<T> call) throws IOException {
    try {
      return call.run();
    } catch (AbortedException e) {
      InterruptedIOException interrupted =
          new InterruptedIOException("S3 " + what + " interrupted");
      interrupted.initCause(e);
      throw interrupted;
    } catch (SdkException e) {
      throw new IOException("S3 " + what + " failed: " + describe(e), e);
    } catch (UncheckedIOException e) {
      throw new IOException("S3 " + what + " failed: " + e.getCause().getMessage(), e.getCause());
    }
  }

  /**
   * As {@link #io}, for a call on a multipart write's own state (its upload, parts and tail): a 404
   * there means the write no longer exists (completed, aborted or expired by another request or
   * instance), which the SPI reports as {@link java.nio.file.NoSuchFileException} so the upload
   * session can tell "gone, restart the upload" from "S3 is failing, try again".
   */
  static <T> T writeIo(String what, Call<T> call) throws IOException {
    try {
      return io(what, call);
    } catch (IOException e) {
      if (e.getCause() instanceof SdkException sdk && status(sdk) == 404) {
        NoSuchFileException gone =
            new NoSuchFileException(what, null, "the multipart write is gone: " + e.getMessage());
        gone.initCause(e);
        throw gone;
      }
      throw e;
    }
  }

  /** The HTTP status of a service error, or 0 when S3 never answered. */
  static int status(SdkException e) {
    return e instanceof AwsServiceException service ? service.statusCode() : 0;
  }

  static String describe(SdkException e) {
    if (e instanceof AwsServiceException service && service.awsErrorDetails() != null) {
      String code = service.awsErrorDetails().errorCode();
      return "HTTP "
          + service.statusCode()
          + (code == null || code.isEmpty() ? "" : " " + code)
          + (service.awsErrorDetails().errorMessage() == null
              ? ""
              : ": " + service.awsErrorDetails().errorMessage());
    }
    return e.getMessage();
  }
}
