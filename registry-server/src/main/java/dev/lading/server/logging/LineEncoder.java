package dev.lading.server.logging;

import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.ThrowableProxyUtil;
import ch.qos.logback.core.encoder.EncoderBase;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.slf4j.event.KeyValuePair;

/**
 * Writes each event as a text line (the {@code pattern}) or, once switched to JSON, as one JSON
 * object per line: {@code time} (ISO-8601, UTC), {@code level}, {@code logger}, {@code thread},
 * {@code message}, then every SLF4J key-value pair and MDC entry as a field of its own (numbers and
 * booleans keep their type, lists become arrays), and {@code error} with the stack trace when there
 * is one.
 *
 * <p>Why not Logback's own {@code JsonEncoder}: it writes key-value pairs as an array of one-entry
 * objects with string values ({@code "kvpList":[{"status":"200"}]}), which log shippers (Loki,
 * Elasticsearch, jq) cannot select by key. logstash-logback-encoder would give flat fields, but as
 * a new dependency (with Jackson 3, in its current version) for what Jackson, already here, does in
 * a page.
 *
 * <p>The format can be switched while running ({@link #setJson}), because the configuration that
 * chooses it is read after Logback has started; {@code logback.xml} declares one instance, which
 * registers itself in the logger context under {@link #CONTEXT_KEY} for {@link LogSettings}.
 */
public final class LineEncoder extends EncoderBase<ILoggingEvent> {
  /** The logger context object under which the started encoder can be found. */
  public static final String CONTEXT_KEY = "dev.lading.server.logging.LineEncoder";

  private static final JsonFactory JSON = new JsonFactory();
  private static final byte[] NEWLINE = {'\n'};
  private static final Set<String> RESERVED =
      Set.of("time", "level", "logger", "thread", "message", "error");

  private final PatternLayout text = new PatternLayout();
  private String pattern = "%d{yyyy-MM-dd'T'HH:mm:ss.SSSXXX} %-5level %logger{0} %msg%n";
  private volatile boolean json;

  /** The text line's Logback pattern. */
  public void setPattern(String pattern) {
    this.pattern = pattern;
  }

  /** From now on, JSON lines ({@code true}) or text lines. */
  public void setJson(boolean json) {
    this.json = json;
  }

  public boolean isJson() {
    return json;
  }

  @Override
  public void start() {
    text.setContext(getContext());
    text.setPattern(pattern);
    text.start();
    if (getContext() != null) {
      getContext().putObject(CONTEXT_KEY, this);
    }
    super.start();
  }

  @Override
  public void stop() {
    text.stop();
    super.stop();
  }

  @Override
  public byte[] headerBytes() {
    return null;
  }

  @Override
  public byte[] footerBytes() {
    return null;
  }

  @Override
  public byte[] encode(ILoggingEvent event) {
    if (!json) {
      return text.doLayout(event).getBytes(StandardCharsets.UTF_8);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(256);
    try (JsonGenerator g = JSON.createGenerator(out)) {
      writeJson(g, event);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    out.writeBytes(NEWLINE);
    return out.toByteArray();
  }

  private static void writeJson(JsonGenerator g, ILoggingEvent event) throws IOException {
    g.writeStartObject();
    g.writeStringField("time", Instant.ofEpochMilli(event.getTimeStamp()).toString());
    g.writeStringField("level", event.getLevel().toString());
    g.writeStringField("logger", event.getLoggerName());
    g.writeStringField("thread", event.getThreadName());
    g.writeStringField("message", event.getFormattedMessage());
    Set<String> written = new HashSet<>(RESERVED);
    List<KeyValuePair> pairs = event.getKeyValuePairs();
    if (pairs != null) {
      for (KeyValuePair pair : pairs) {
        if (pair.key != null && pair.value != null && written.add(pair.key)) {
          g.writeFieldName(pair.key);
          writeValue(g, pair.value);
        }
      }
    }
    Map<String, String> mdc = event.getMDCPropertyMap();
    if (mdc != null) {
      for (Map.Entry<String, String> e : mdc.entrySet()) {
        if (e.getValue() != null && written.add(e.getKey())) {
          g.writeStringField(e.getKey(), e.getValue());
        }
      }
    }
    if (event.getThrowableProxy() != null) {
      g.writeStringField("error", ThrowableProxyUtil.asString(event.getThrowableProxy()));
    }
    g.writeEndObject();
  }

  private static void writeValue(JsonGenerator g, Object value) throws IOException {
    switch (value) {
      case Integer i -> g.writeNumber(i);
      case Long l -> g.writeNumber(l);
      case Double d -> g.writeNumber(d);
      case Float f -> g.writeNumber(f);
      case Short s -> g.writeNumber(s);
      case Boolean b -> g.writeBoolean(b);
      case Collection<?> c -> {
        g.writeStartArray();
        for (Object item : c) {
          if (item == null) {
            g.writeNull();
          } else {
            writeValue(g, item);
          }
        }
        g.writeEndArray();
      }
      default -> g.writeString(String.valueOf(value));
    }
  }
}
