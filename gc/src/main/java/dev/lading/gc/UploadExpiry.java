package dev.lading.gc;

import dev.lading.core.layout.StorageLayout;
import dev.lading.core.layout.StorageLayout.UploadStateKey;
import dev.lading.core.layout.StoredValues.UploadState;
import dev.lading.core.model.UploadId;
import dev.lading.gc.GcStats.Kind;
import dev.lading.gc.GcStats.SweptItem;
import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dead writes: upload sessions older than the upload expiry are aborted through their multipart
 * write and removed; then residue no live session names (a request that died after creating an S3
 * multipart upload, the tails of its suspends, a staged file) goes through {@code
 * ObjectStore.sweepAbandonedWrites}. A session with a signed id (layout version 3) whose id has not
 * ended yet is ended with a cancelled state instead of removed, and that state removed once the id
 * has ended: a signed id without any state reads as a session just started.
 */
final class UploadExpiry {
  private static final Logger LOG = LoggerFactory.getLogger(UploadExpiry.class);

  private UploadExpiry() {}

  /** What the step did: sessions expired, and the data keys of the sessions still alive. */
  record Result(int expired, Set<String> liveWrites) {}

  static Result run(
      CollectorStore io,
      Clock clock,
      GcOptions options,
      Instant cutoff,
      Collection<RepositoryContents> repos,
      List<SweptItem> items)
      throws IOException {
    Set<String> liveWrites = new HashSet<>();
    int expired = 0;
    for (RepositoryContents repo : repos) {
      expired += expire(io, clock, options, repo, liveWrites, items);
    }
    // Residue no live session names: its data key was chosen after the session started, so it
    // is older than the cutoff only when its session is, and sessions are listed above.
    for (String residue : io.store.sweepAbandonedWrites(liveWrites, cutoff, options.dryRun())) {
      items.add(new SweptItem(Kind.ABANDONED_WRITE, residue, 0));
    }
    return new Result(expired, liveWrites);
  }

  private static int expire(
      CollectorStore io,
      Clock clock,
      GcOptions options,
      RepositoryContents repo,
      Set<String> liveWrites,
      List<SweptItem> items)
      throws IOException {
    Instant now = clock.instant();
    Instant expiry = now.minus(options.uploadExpiry());
    int expired = 0;
    for (UploadStateKey upload : repo.uploads) {
      String key = StorageLayout.keyOf(upload);
      Optional<byte[]> bytes = io.store.read(key);
      if (bytes.isEmpty()) {
        continue;
      }
      if (UploadState.isClosedByItsLink(bytes.get())) {
        // A signed id's close (layout version 4): kept as long as the id could be presented, so
        // the id never reads as just started again; then deleted.
        Optional<Instant> idEnds = upload.id().signed().map(UploadId.Signed::endsAt);
        if (idEnds.isEmpty()) {
          LOG.warn("gc: unreadable upload state {}", key);
        } else if (!now.isBefore(idEnds.get())) {
          expired++;
          items.add(new SweptItem(Kind.UPLOAD, key, 0));
          if (!options.dryRun()) {
            io.store.delete(List.of(key));
          }
        }
        continue;
      }
      UploadState state;
      try {
        state = UploadState.read(bytes.get());
      } catch (RuntimeException e) {
        LOG.warn("gc: unreadable upload state {}", key);
        continue;
      }
      String dataKey = StorageLayout.keyOf(state.dataKey());
      if (!state.startedAt().isBefore(expiry)) {
        if (state.isOpen()) {
          liveWrites.add(dataKey);
        }
        continue;
      }
      // A signed id names a session just started whenever no state is stored, until the end it
      // carries (SignedUploadIds): before that end, the session is ended by a cancelled state,
      // never by a deleted one, or it would start over.
      boolean idStillValid = state.id().signed().map(s -> now.isBefore(s.endsAt())).orElse(false);
      if (idStillValid && state.cancelled()) {
        continue; // ended already; deleted once its id ends
      }
      expired++;
      items.add(new SweptItem(Kind.UPLOAD, key, state.isOpen() ? state.offset() : 0));
      if (options.dryRun()) {
        if (state.isOpen()) {
          liveWrites.add(dataKey); // still there after a dry run
        }
        continue;
      }
      if (state.isOpen() && state.resumeToken().isPresent()) {
        try {
          // Aborting releases the store's multipart upload (on S3: AbortMultipartUpload).
          io.store.resumeMultipart(dataKey, state.resumeToken().get()).abort();
        } catch (IOException | RuntimeException e) {
          LOG.warn("gc: could not abort the multipart write of {}: {}", key, e.toString());
        }
      }
      if (idStillValid) {
        io.store.write(key, state.asCancelled().write());
      } else {
        io.store.delete(List.of(key));
      }
    }
    return expired;
  }
}
