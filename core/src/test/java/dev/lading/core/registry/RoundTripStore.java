package dev.lading.core.registry;

import dev.lading.core.storage.ForwardingObjectStore;
import dev.lading.core.storage.ObjectStore;
import dev.lading.core.storage.ObjectWrite;
import java.io.IOException;
import java.util.List;

/**
 * A store made to look remote: it says its calls are round trips, as S3 does, so the registry takes
 * the paths it takes only there (reads side by side, a small close in one round), and it makes its
 * batches as such a store does ({@link ObjectStore#writeByStep}), each write through its own calls.
 */
class RoundTripStore extends ForwardingObjectStore {
  RoundTripStore(ObjectStore delegate) {
    super(delegate);
  }

  @Override
  public boolean callsAreRoundTrips() {
    return true;
  }

  @Override
  public List<Boolean> writeAll(List<ObjectWrite> writes) throws IOException {
    return ObjectStore.writeByStep(this, writes);
  }
}
