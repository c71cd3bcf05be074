package dev.lading.gc;

import dev.lading.core.layout.StorageLayout;
import dev.lading.core.layout.StoredValues.BlobRecord;
import dev.lading.core.model.Digest;
import dev.lading.core.storage.ListedObject;
import dev.lading.gc.GcStats.Kind;
import dev.lading.gc.GcStats.SweptItem;
import java.io.IOException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * After the sweep: referrer entries whose manifest is gone already, data objects no record and no
 * live upload session names (a commit that died between its data and its record, the data of a
 * duplicate upload), and marks no active run needs any more.
 */
final class StrayData {
  private StrayData() {}

  static void run(
      CollectorStore io,
      GcOptions options,
      Instant runStart,
      Instant cutoff,
      Mark.Result mark,
      RunLease lease,
      List<SweptItem> items)
      throws IOException {
    for (String key : mark.strayReferrerKeys) {
      items.add(new SweptItem(Kind.REFERRER_ENTRY, key, 0));
    }
    if (!options.dryRun()) {
      io.deleteBatched(mark.strayReferrerKeys);
    }
    // Kept candidates keep their data; doomed ones had theirs deleted (or, dry, report it as a
    // blob, not again as stray data).
    for (Candidate c : mark.candidates.values()) {
      if (c.record != null) {
        c.record.dataKey().ifPresent(k -> mark.liveData.add(StorageLayout.keyOf(k)));
      }
    }
    // Data is written before its record, and a commit may wait out an intent in between: stray
    // data must also be older than an intent's lifetime, or a record written after the listing
    // above could point at data swept here.
    Instant dataCutoff = min(cutoff, runStart.minus(options.intentTtl()).minusSeconds(60));
    List<String> strayData = new ArrayList<>();
    List<ListedObject> unexplained = new ArrayList<>();
    for (ListedObject object : io.listing.all(StorageLayout.dataShards())) {
      if (!mark.liveData.contains(object.key())) {
        unexplained.add(object);
      }
    }
    // Each live record that names data (inline records are not counted: Mark tells them from
    // their listed length) points at its own data object, listed above (data is listed after the
    // records and deleted only after its record). So data not explained otherwise is exactly
    // the live records' data plus the strays, and as many unexplained keys as live records
    // means no stray: the live records need not be read. When there are more, they are read
    // (in parallel) and only data no record names goes. Skipping can only miss a stray (say,
    // when another run deleted a blob between the two listings), never delete live data.
    //
    // The same count over old data only: a record is written after its data, so each live
    // record older than the data cutoff points at its own unexplained data object older than it
    // too. As many old unexplained keys as old live records means no stray old enough to go
    // (young strays are never deleted here anyway), however many young ones there are.
    Map<Digest, Instant> recordTimes = mark.recordTimes;
    long oldUnexplained =
        unexplained.stream().filter(o -> o.info().lastModified().isBefore(dataCutoff)).count();
    long oldLiveRecords =
        mark.liveRecords.stream().filter(d -> recordTimes.get(d).isBefore(dataCutoff)).count();
    if (unexplained.size() > mark.liveRecords.size() && oldUnexplained > oldLiveRecords) {
      for (Optional<BlobRecord> record : io.calls.map(mark.liveRecords, io::readRecord)) {
        record
            .flatMap(BlobRecord::dataKey)
            .ifPresent(k -> mark.liveData.add(StorageLayout.keyOf(k)));
      }
      for (ListedObject suspect : unexplained) {
        if (!mark.liveData.contains(suspect.key())
            && suspect.info().lastModified().isBefore(dataCutoff)) {
          strayData.add(suspect.key());
          items.add(new SweptItem(Kind.STRAY_DATA, suspect.key(), suspect.info().size()));
        }
      }
    }
    if (!options.dryRun()) {
      io.deleteBatched(strayData);
      clearOldMarks(io, runStart, lease);
    }
  }

  /**
   * Marks older than this run's start served earlier runs; this run's mark saw their pushes. But a
   * run that started earlier and is still going (another instance's) may not have re-read the marks
   * yet: only marks older than the oldest active run's start go.
   */
  private static void clearOldMarks(CollectorStore io, Instant runStart, RunLease lease)
      throws IOException {
    Optional<Instant> oldest = lease.oldestActiveStart(runStart);
    if (oldest.isEmpty()) {
      return; // a run object is unreadable: keep every mark, which costs nothing but keys
    }
    List<String> old = new ArrayList<>();
    for (ListedObject mark : io.digestObjects(StorageLayout.gcMarkPrefixes())) {
      if (mark.info().lastModified().isBefore(oldest.get())) {
        old.add(mark.key());
      }
    }
    io.deleteBatched(old);
  }

  private static Instant min(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }
}
