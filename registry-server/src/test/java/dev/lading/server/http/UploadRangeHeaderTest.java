package dev.lading.server.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class UploadRangeHeaderTest {

  @ParameterizedTest
  @CsvSource({
    "0-9, 0, 9",
    "'bytes 10-19/20', 10, 19",
    "'bytes=10-19', 10, 19",
    "'5-5/*', 5, 5",
    "' 7-8 ', 7, 8"
  })
  void acceptedFormsGiveTheInclusiveSpan(String header, long start, long end) {
    UploadRangeHeader range = UploadRangeHeader.parse(header);
    assertThat(range).isEqualTo(new UploadRangeHeader(start, end));
    assertThat(range.length()).isEqualTo(end - start + 1);
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "garbage",
        "",
        "-5",
        "0-",
        "10-5",
        "0-9/9",
        "10-19/5",
        "0-9/x",
        "1.5-3",
        "0-1234567890123456789"
      })
  void malformedOrInconsistentIsBlobUploadInvalid(String header) {
    assertThatThrownBy(() -> UploadRangeHeader.parse(header))
        .isInstanceOfSatisfying(
            RegistryException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.BLOB_UPLOAD_INVALID));
  }
}
