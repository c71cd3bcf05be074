package dev.lading.events;

import dev.lading.core.layout.StorageLayout;
import dev.lading.core.layout.StorageLayout.EventBatchKey;
import dev.lading.core.layout.StorageLayout.EventFailedKey;
import dev.lading.core.layout.StoredValues.EventBatch;
import dev.lading.core.storage.AllKeys;
import dev.lading.core.storage.ObjectStore;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.function.ToLongFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What an operator sees and does with the events in the store: per configured endpoint, the batches
 * waiting for delivery and those given up and kept ({@link #inspect}), and the replay that puts the
 * kept ones back in the queue ({@link #replay}). Any instance may run either; only the deliverer
 * sends.
 */
public final class EventQueues {
  private static final Logger LOG = LoggerFactory.getLogger(EventQueues.class);

  private final ObjectStore store;
  private final EventOptions options;
  private final Clock clock;

  public EventQueues(ObjectStore store, EventOptions options, Clock clock) {
    this.store = store;
    this.options = options;
    this.clock = clock;
  }

  /** Batches of one kind for one endpoint: how many, how many events, and when, from the names. */
  public record Summary(int batches, long events, Optional<Instant> oldest) {}

  /** One endpoint's queue (waiting for delivery) and its kept given-up events. */
  public record EndpointState(EventEndpoint endpoint, Summary queued, Summary failed) {}

  /** What a replay put back in the queue. */
  public record Replay(String endpoint, int batches, long events) {}

  public List<EventEndpoint> endpoints() {
    return options.endpoints();
  }

  public Optional<EventEndpoint> endpoint(String name) {
    return options.endpoints().stream().filter(e -> e.name().equals(name)).findFirst();
  }

  /** Each configured endpoint's state, from two listings each (no object is read). */
  public List<EndpointState> inspect() throws IOException {
    List<EndpointState> out = new ArrayList<>();
    for (EventEndpoint e : options.endpoints()) {
      out.add(
          new EndpointState(
              e,
              summary(
                  StorageLayout.eventQueuePrefix(e.name()),
                  EventBatchKey.class,
                  EventBatchKey::count,
                  EventBatchKey::epochMillis),
              summary(
                  StorageLayout.eventFailedPrefix(e.name()),
                  EventFailedKey.class,
                  EventFailedKey::count,
                  EventFailedKey::epochMillis)));
    }
    return out;
  }

  private <K extends StorageLayout.Key> Summary summary(
      String prefix, Class<K> kind, ToLongFunction<K> count, ToLongFunction<K> millis)
      throws IOException {
    int batches = 0;
    long events = 0;
    long oldest = Long.MAX_VALUE;
    for (String key : AllKeys.under(store, prefix)) {
      Optional<K> k = StorageLayout.parse(key, kind);
      if (k.isEmpty()) {
        continue;
      }
      batches++;
      events += count.applyAsLong(k.get());
      oldest = Math.min(oldest, millis.applyAsLong(k.get()));
    }
    return new Summary(
        batches,
        events,
        batches == 0 ? Optional.empty() : Optional.of(Instant.ofEpochMilli(oldest)));
  }

  /**
   * Puts every event kept as given up for {@code endpoint} back in its queue, oldest first, each
   * with its CloudEvent as it was (the same {@code id}); the deliverer sends them once more, ahead
   * of newer events, and retries each for {@code retry_for} from now. A replayed batch is the queue
   * batch of the same name ({@link EventBatchKey#replaying}), so two replays of one batch (two
   * operators at once, or one again after a crash) write one object, sent once. An event is sent
   * twice only when a second replay read the batch before the first deleted it and writes it after
   * the deliverer already sent and deleted it, or after a crash between the write and the delete
   * below; both copies carry the same {@code id}, by which receivers recognise a duplicate.
   */
  public Replay replay(String endpoint) throws IOException {
    if (endpoint(endpoint).isEmpty()) {
      throw new IllegalArgumentException("no event endpoint named " + endpoint);
    }
    Instant now = clock.instant();
    // A deliverer keeps a batch's given-up events before it deletes the batch: while the batch it
    // came from is still queued, a replay written under that name would be deleted with it, so the
    // kept copy waits for the next replay.
    Set<String> stillQueued = new HashSet<>();
    for (String key : AllKeys.under(store, StorageLayout.eventQueuePrefix(endpoint))) {
      StorageLayout.parse(key, EventBatchKey.class)
          .ifPresent(k -> stillQueued.add(source(k.batch())));
    }
    int batches = 0;
    long events = 0;
    for (String key : AllKeys.under(store, StorageLayout.eventFailedPrefix(endpoint))) {
      Optional<EventFailedKey> failed = StorageLayout.parse(key, EventFailedKey.class);
      if (failed.isEmpty() || stillQueued.contains(source(failed.get().batch()))) {
        continue;
      }
      Optional<byte[]> bytes = store.read(key);
      if (bytes.isEmpty()) {
        continue; // replayed by someone else meanwhile
      }
      EventBatch batch;
      try {
        batch = EventBatch.read(bytes.get());
      } catch (RuntimeException e) {
        LOG.warn("events: {}: unreadable given-up batch {} left: {}", endpoint, key, e.toString());
        continue;
      }
      // The queue copy first, then the kept one goes: a crash between the two leaves both, and
      // the next replay writes the same queue object again (see above).
      store.write(
          StorageLayout.keyOf(EventBatchKey.replaying(failed.get())), batch.replayed(now).write());
      store.delete(List.of(key));
      batches++;
      events += batch.events().size();
    }
    return new Replay(endpoint, batches, events);
  }

  /** A batch name without its event count: the same for a batch and the events kept from it. */
  private static String source(String batch) {
    return batch.substring(0, batch.length() - 4);
  }
}
