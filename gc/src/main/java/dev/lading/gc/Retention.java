package dev.lading.gc;

import dev.lading.core.layout.StorageLayout;
import dev.lading.core.layout.StorageLayout.GcTagMarkKey;
import dev.lading.core.layout.StorageLayout.PullRecordKey;
import dev.lading.core.layout.StorageLayout.ReferrerKey;
import dev.lading.core.layout.StorageLayout.TagKey;
import dev.lading.core.layout.StoredValues.PullRecord;
import dev.lading.core.layout.StoredValues.TagTarget;
import dev.lading.core.model.Digest;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.model.Tag;
import dev.lading.core.policy.ImmutableTags;
import dev.lading.core.storage.ListedObject;
import dev.lading.core.storage.ObjectInfo;
import dev.lading.gc.RetentionAction.Kind;
import dev.lading.gc.RetentionPlan.RepositoryView;
import dev.lading.gc.RetentionPlan.TagState;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Retention, the first step of a run after the fence delay: evaluates the policies over what the
 * run listed ({@link RetentionPlan}), removes the tags no policy keeps, and hands the mark the
 * untagged manifests that expired, which the mark then leaves unrooted so the sweep removes them
 * (with their referrer entries and whatever blobs nothing else keeps) under the same intents and
 * re-checks as any candidate. Retention itself deletes tags only; every other deletion is GC's.
 *
 * <p><b>A tag pushed while the run goes on is never removed.</b> The listing fixed each tag's
 * digest and push time; right before deleting, the tag is read again and deleted only if it still
 * names the same digest and was not written since it was listed (a re-push of the same digest
 * rewrites the object and so counts as a push). A tag pushed after the listing is not in it and is
 * never looked at. That leaves a push landing between the re-read and the delete, which a store
 * without compare-and-delete cannot refuse; the fence closes it the way it does for blobs, each
 * side writing first and then reading what the other wrote:
 *
 * <ul>
 *   <li><b>Pusher</b> (core's {@code RepositoryManifests.putManifest}): while a run is active, it
 *       writes a tag mark {@code gc/tag-marks/<repo>/_tags/<tag>} holding the digest (T1), then the
 *       tag (T2).
 *   <li><b>Retention:</b> re-reads the tag (R1), deletes it (R2), then lists the repository's tag
 *       marks (R3) and puts back, with a create-if-absent write, every tag it deleted that a mark
 *       names, set to the marked digest (R4).
 * </ul>
 *
 * If T2 came before R1, R1 sees the new write and nothing is deleted. If T2 came after R2, the
 * delete removed the old tag and the push stands. Otherwise R1 &lt; T2 &lt; R2, so T1 &lt; T2 &lt;
 * R2 &lt; R3: R3 sees the mark and R4 restores what the push set (create-if-absent: a tag written
 * again since is left as it is). A pusher holding a cached "no run" writes no mark, but by the
 * fence's timing argument (package documentation) its tag write lands before the run's listing,
 * which then sees it as young. A restored tag roots its manifest again, so that repository's
 * untagged manifests are left to the next run; its manifest was marked by the push, so the sweep
 * keeps it in any case. Marks of earlier runs are removed at the next run's start. A tag removed
 * here is audited ({@code lading.audit}, {@code event=retention-untag}) with the policy and the
 * reason.
 */
final class Retention {
  private static final Logger LOG = LoggerFactory.getLogger(Retention.class);
  private static final Logger AUDIT = LoggerFactory.getLogger("lading.audit");

  /** What retention decided and did: its actions, and per repository the expired manifests. */
  record Result(List<RetentionAction> actions, Map<RepositoryName, Set<Digest>> expired) {
    static final Result NONE = new Result(List.of(), Map.of());

    Optional<Set<Digest>> expired(RepositoryName repo) {
      return Optional.ofNullable(expired.get(repo));
    }
  }

  /** Where retention reports its running totals (the run's {@code RETENTION} phase). */
  @FunctionalInterface
  interface Progress {
    void at(long tagsExamined, long tagsRemoved);
  }

  private Retention() {}

  static Result run(
      CollectorStore io,
      GcOptions options,
      Instant now,
      Instant cutoff,
      Map<RepositoryName, RepositoryContents> repos,
      KnownReferences refs,
      GarbageCollector.SweepHooks hooks,
      Progress progress)
      throws IOException {
    List<RetentionPolicy> policies = options.retention();
    progress.at(0, 0);
    if (!options.dryRun()) {
      dropOldPullRecords(io, policies, now, repos);
      dropOldTagMarks(io, now);
    }
    if (policies.isEmpty()) {
      return Result.NONE;
    }
    long examined = 0;
    long removedTotal = 0;
    ImmutableTags immutable = options.immutableTags();
    List<RetentionAction> actions = new ArrayList<>();
    Map<RepositoryName, Set<Digest>> expired = new HashMap<>();
    for (RepositoryContents repo : repos.values()) {
      if (policies.stream().noneMatch(p -> p.governs(repo.name))) {
        continue;
      }
      RepositoryView view = view(io, policies, repo, refs);
      RetentionPlan.Outcome outcome =
          RetentionPlan.evaluate(policies, immutable, view, now, cutoff);
      List<RetentionAction> untags =
          outcome.actions().stream().filter(a -> a.kind() == Kind.UNTAG).toList();
      if (!untags.isEmpty() && !options.dryRun()) {
        hooks.beforeUntag(repo.name, untags.stream().map(a -> a.tag().orElseThrow()).toList());
      }
      Set<String> removed = new HashSet<>();
      for (RetentionAction done : untag(io, options.dryRun(), repo, untags, hooks)) {
        removed.add(done.tag().orElseThrow());
        actions.add(done);
      }
      repo.tags.removeIf(k -> removed.contains(k.tag().value()));
      examined += view.tags().size();
      removedTotal += removed.size();
      progress.at(examined, removedTotal);
      if (removed.size() < untags.size()) {
        // A tag was pushed again while the run went on: it roots its manifest again, so nothing
        // expired may go on the strength of the plan; the next run decides afresh.
        LOG.info(
            "retention: {} tags of {} moved during the run",
            untags.size() - removed.size(),
            repo.name);
        continue;
      }
      outcome.expired().ifPresent(e -> expired.put(repo.name, e));
      outcome.actions().stream()
          .filter(a -> a.kind() == Kind.DELETE_MANIFEST)
          .forEach(actions::add);
    }
    return new Result(actions, expired);
  }

  /**
   * Tag marks of earlier runs: a mark matters only to the run active while it was written (a later
   * run deletes only tags its own listing saw, after its own start).
   */
  private static void dropOldTagMarks(CollectorStore io, Instant runStart) throws IOException {
    List<String> old = new ArrayList<>();
    for (ListedObject object : io.listing.all(StorageLayout.gcTagMarksPrefix())) {
      if (object.info().lastModified().isBefore(runStart)) {
        old.add(object.key());
      }
    }
    io.deleteBatched(old);
  }

  /**
   * Pull records no policy can use any more: every time in a record is at most its object's write
   * time, so one not rewritten within the longest {@code keep_pulled_within} (and a day, so a
   * policy shortened by mistake and set back loses nothing at once) keeps no tag. Records of an
   * instance that stopped, or of a repository nobody pulls now, go this way.
   */
  private static void dropOldPullRecords(
      CollectorStore io,
      List<RetentionPolicy> policies,
      Instant now,
      Map<RepositoryName, RepositoryContents> repos)
      throws IOException {
    Duration longest =
        policies.stream()
            .flatMap(p -> p.keepPulledWithin().stream())
            .max(Comparator.naturalOrder())
            .orElse(Duration.ZERO)
            .plus(Duration.ofDays(1));
    List<String> old = new ArrayList<>();
    for (RepositoryContents repo : repos.values()) {
      for (Map.Entry<PullRecordKey, Instant> r : repo.pullRecords.entrySet()) {
        if (r.getValue().isBefore(now.minus(longest))) {
          old.add(StorageLayout.keyOf(r.getKey()));
        }
      }
    }
    if (!old.isEmpty()) {
      io.deleteBatched(old);
      LOG.info("retention: removed {} pull records older than {}", old.size(), longest);
    }
  }

  /**
   * The repository as the plan sees it: tag targets read now, and, when a policy keeps tags by
   * pulls, every instance's pull record of it (the latest time of each tag and digest wins); the
   * rest from the listing.
   */
  private static RepositoryView view(
      CollectorStore io,
      List<RetentionPolicy> policies,
      RepositoryContents repo,
      KnownReferences refs)
      throws IOException {
    Map<String, Instant> tagPulls = new HashMap<>();
    Map<Digest, Instant> digestPulls = new HashMap<>();
    boolean pullsMatter =
        policies.stream().anyMatch(p -> p.governs(repo.name) && p.keepPulledWithin().isPresent());
    if (pullsMatter) {
      List<PullRecordKey> keys = new ArrayList<>(repo.pullRecords.keySet());
      List<Optional<byte[]>> records =
          io.calls.map(keys, k -> io.store.read(StorageLayout.keyOf(k)));
      for (int i = 0; i < keys.size(); i++) {
        if (records.get(i).isEmpty()) {
          continue;
        }
        try {
          PullRecord r = PullRecord.read(records.get(i).get());
          r.tags().forEach((t, at) -> tagPulls.merge(t, at, Retention::later));
          r.digests().forEach((d, at) -> digestPulls.merge(d, at, Retention::later));
        } catch (RuntimeException e) {
          LOG.warn("retention: unreadable pull record {}", StorageLayout.keyOf(keys.get(i)));
        }
      }
    }
    List<Optional<byte[]>> targets =
        io.calls.map(repo.tags, tag -> io.store.read(StorageLayout.keyOf(tag)));
    List<TagState> tags = new ArrayList<>();
    for (int i = 0; i < repo.tags.size(); i++) {
      TagKey key = repo.tags.get(i);
      Instant pushed = repo.tagTimes.get(key.tag());
      if (targets.get(i).isEmpty() || pushed == null) {
        continue; // deleted since the listing
      }
      try {
        Digest digest = TagTarget.read(targets.get(i).get()).manifest();
        Instant byTag = tagPulls.get(key.tag().value());
        Instant byDigest = digestPulls.get(digest);
        Instant pulled =
            byTag == null ? byDigest : byDigest == null ? byTag : later(byTag, byDigest);
        tags.add(new TagState(key.tag().value(), digest, pushed, Optional.ofNullable(pulled)));
      } catch (RuntimeException e) {
        LOG.warn("retention: unreadable tag {}; kept", StorageLayout.keyOf(key));
      }
    }
    Map<Digest, Set<Digest>> children = new HashMap<>();
    for (Digest m : repo.manifests) {
      Set<Digest> c = refs.of(m, repo.name).manifests();
      if (!c.isEmpty()) {
        children.put(m, c);
      }
    }
    Map<Digest, Set<Digest>> referrers = new HashMap<>();
    for (ReferrerKey entry : repo.referrers) {
      referrers.computeIfAbsent(entry.subject(), k -> new HashSet<>()).add(entry.referrer());
    }
    return new RepositoryView(repo.name, tags, repo.manifestTimes, children, referrers);
  }

  /**
   * Removes each tag that still names what the listing saw and was not written since, then puts
   * back any of them a pusher marked meanwhile (the class documentation has the argument); returns
   * the removals that stand (dry: all of them, nothing removed).
   */
  private static List<RetentionAction> untag(
      CollectorStore io,
      boolean dryRun,
      RepositoryContents repo,
      List<RetentionAction> untags,
      GarbageCollector.SweepHooks hooks)
      throws IOException {
    if (dryRun || untags.isEmpty()) {
      return untags;
    }
    List<Optional<RetentionAction>> deleted =
        io.calls.map(
            untags,
            a -> {
              TagKey tag = new TagKey(repo.name, new Tag(a.tag().orElseThrow()));
              String key = StorageLayout.keyOf(tag);
              Instant listed = repo.tagTimes.get(tag.tag());
              Optional<byte[]> now = io.store.read(key);
              Optional<ObjectInfo> info = io.store.stat(key);
              if (now.isEmpty()
                  || info.isEmpty()
                  || info.get().lastModified().isAfter(listed)
                  || !TagTarget.read(now.get()).manifest().equals(a.digest())) {
                LOG.info("retention: {}:{} was pushed during the run; kept", repo.name, tag.tag());
                return Optional.<RetentionAction>empty();
              }
              hooks.afterTagRecheck(repo.name, tag.tag().value());
              io.store.delete(List.of(key));
              return Optional.of(a);
            });
    List<RetentionAction> done = deleted.stream().flatMap(Optional::stream).toList();
    if (done.isEmpty()) {
      return done;
    }
    // The marks are read after every delete: a push that marked before a delete is seen here.
    Map<String, Digest> marked = new HashMap<>();
    List<String> markKeys = io.allKeys(StorageLayout.gcTagMarksPrefix(repo.name));
    List<Optional<byte[]>> targets = io.calls.map(markKeys, io.store::read);
    for (int i = 0; i < markKeys.size(); i++) {
      Optional<GcTagMarkKey> key = StorageLayout.parse(markKeys.get(i), GcTagMarkKey.class);
      if (key.isPresent() && targets.get(i).isPresent()) {
        try {
          marked.put(key.get().tag().value(), TagTarget.read(targets.get(i).get()).manifest());
        } catch (RuntimeException e) {
          LOG.warn("retention: unreadable tag mark {}", markKeys.get(i));
        }
      }
    }
    List<RetentionAction> stand = new ArrayList<>();
    for (RetentionAction a : done) {
      Digest pushed = marked.get(a.tag().orElseThrow());
      if (pushed != null) {
        // Pushed while the run went on: put back what the push set, unless it is there already
        // (the push landed after the delete) or something else took its place since.
        io.store.writeIfAbsent(
            StorageLayout.keyOf(new TagKey(repo.name, new Tag(a.tag().orElseThrow()))),
            new TagTarget(pushed).write());
        LOG.info(
            "retention: {}:{} was pushed during the run (to {}); kept",
            repo.name,
            a.tag().get(),
            pushed);
        continue;
      }
      audit(a);
      stand.add(a);
    }
    return stand;
  }

  private static Instant later(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }

  /** One audit line per removal, on the server's audit logger. */
  static void audit(RetentionAction a) {
    String event = a.kind() == Kind.UNTAG ? "retention-untag" : "retention-delete-manifest";
    AUDIT
        .atInfo()
        .setMessage("action={} who=gc repository={} digest={} tag={} policy={} reason={} bytes={}")
        .addArgument(event)
        .addArgument(a.repository())
        .addArgument(a.digest())
        .addArgument(a.tag().orElse("-"))
        .addArgument(a.policy())
        .addArgument(a.reason())
        .addArgument(a.bytes())
        .addKeyValue("event", event)
        .addKeyValue("principal", "gc")
        .addKeyValue("repository", a.repository().value())
        .addKeyValue("digest", a.digest().toString())
        .addKeyValue("tag", a.tag().orElse("-"))
        .addKeyValue("policy", a.policy())
        .addKeyValue("reason", a.reason())
        .addKeyValue("bytes", a.bytes())
        .log();
  }
}
