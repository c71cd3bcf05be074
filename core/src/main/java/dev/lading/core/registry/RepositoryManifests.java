package dev.lading.core.registry;

import static dev.lading.core.registry.StorageCalls.io;
import static dev.lading.core.registry.StorageCalls.run;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.lading.core.concurrent.Concurrently;
import dev.lading.core.error.ErrorCode;
import dev.lading.core.error.RegistryException;
import dev.lading.core.layout.StorageLayout;
import dev.lading.core.layout.StorageLayout.CatalogKey;
import dev.lading.core.layout.StorageLayout.GcTagMarkKey;
import dev.lading.core.layout.StorageLayout.ManifestLinkKey;
import dev.lading.core.layout.StorageLayout.ReferrerKey;
import dev.lading.core.layout.StorageLayout.TagKey;
import dev.lading.core.layout.StoredValues;
import dev.lading.core.layout.StoredValues.BlobRecord;
import dev.lading.core.layout.StoredValues.ManifestLink;
import dev.lading.core.layout.StoredValues.ReferrerDescriptor;
import dev.lading.core.layout.StoredValues.TagTarget;
import dev.lading.core.manifest.ManifestDescriptor;
import dev.lading.core.manifest.ManifestParser;
import dev.lading.core.manifest.ManifestValidator;
import dev.lading.core.manifest.ManifestWarnings;
import dev.lading.core.manifest.ParsedManifest;
import dev.lading.core.model.Digest;
import dev.lading.core.model.Reference;
import dev.lading.core.model.RepositoryName;
import dev.lading.core.model.Tag;
import dev.lading.core.policy.ImmutableTagOverride;
import dev.lading.core.policy.ImmutableTagRule;
import dev.lading.core.policy.ImmutableTags;
import dev.lading.core.storage.AllKeys;
import dev.lading.core.storage.KeyPage;
import dev.lading.core.storage.ObjectStore;
import dev.lading.core.storage.ObjectWrite;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Manifests, tags and referrers of repositories, the peer of {@link RepositoryBlobs} (records and
 * links) and {@link UploadSessions} (resumable uploads): a manifest's bytes are a small blob, its
 * revision link says the repository has it, a tag names one, a referrer entry lists it under its
 * subject. Each referenced blob is checked once per push, the checks side by side where the store's
 * calls are round trips, inside GC's fence.
 *
 * <p>Write order matters where a reader could see a half-done operation: a manifest's bytes and
 * record come before its link, the link before its tag, so a tag never names a manifest the
 * repository lacks; deletes go the other way.
 *
 * <p>Immutable tags ({@link ImmutableTags}) are enforced here, where tags are written: a push that
 * would point an existing immutable tag at another digest, a delete of one, and a delete by digest
 * of a manifest one names are refused with {@code DENIED} before anything is written, unless the
 * call carries a granted {@link ImmutableTagOverride}. An immutable tag that does not exist yet is
 * created with {@link ObjectStore#writeIfAbsent}, so of two pushes racing to create it with
 * different digests exactly one wins and the other is refused; the loser removes the immutable tags
 * it created itself in the same push, before any other tag of it moved, so its tags move all or
 * none (its manifest stays stored, untagged, as after a push by digest).
 */
final class RepositoryManifests {
  private static final Logger LOG = LoggerFactory.getLogger(RepositoryManifests.class);

  private final ObjectStore store;
  private final RegistryOptions options;
  private final RepositoryBlobs blobs;
  private final ManifestValidator validator;
  private final QuotaLedger quotas;
  private volatile ImmutableTags immutableTags = ImmutableTags.NONE;

  /**
   * Repositories whose catalog marker this process wrote or found, each time with its directory
   * made durable ({@link ObjectStore#writeIfAbsent} answers only for a durable entry): nothing ever
   * deletes a marker, so a later push to such a repository has no marker to write. Bounded; a
   * repository that falls out only costs its next push one create-if-absent again.
   */
  private final Cache<RepositoryName, Boolean> catalogued =
      Caffeine.newBuilder().maximumSize(100_000).build();

  /**
   * The media type each manifest linked by {@link ManifestLink#OWN_TYPE} names in its bytes, which
   * its digest fixes: right for every instance, and bounded (a miss reads the bytes again).
   */
  private final Cache<Digest, String> ownTypes = Caffeine.newBuilder().maximumSize(10_000).build();

  RepositoryManifests(
      ObjectStore store, RegistryOptions options, RepositoryBlobs blobs, QuotaLedger quotas) {
    this.store = store;
    this.options = options;
    this.blobs = blobs;
    this.quotas = quotas;
    this.validator = new ManifestValidator(options.maxManifestBytes());
  }

  /** Replaces the immutable tag rules in force (a configuration reload). */
  void immutableTags(ImmutableTags rules) {
    immutableTags = java.util.Objects.requireNonNull(rules, "rules");
  }

  ImmutableTags immutableTags() {
    return immutableTags;
  }

  ManifestContent getManifest(RepositoryName repo, Reference reference) {
    Digest digest = resolve(repo, reference);
    ManifestLink link = manifestLink(repo, digest).orElseThrow(() -> manifestUnknown(reference));
    byte[] body = blobs.readSmall(digest).orElseThrow(() -> manifestUnknown(reference));
    String mediaType =
        link.mediaType().orElseGet(() -> ownType(digest, () -> Optional.of(body), reference));
    return new ManifestContent(digest, mediaType, body);
  }

  ManifestInfo statManifest(RepositoryName repo, Reference reference) {
    Digest digest = resolve(repo, reference);
    ManifestLink link = manifestLink(repo, digest).orElseThrow(() -> manifestUnknown(reference));
    BlobRecord record = blobs.record(digest).orElseThrow(() -> manifestUnknown(reference));
    String mediaType =
        link.mediaType().orElseGet(() -> ownType(digest, () -> blobs.readSmall(digest), reference));
    return new ManifestInfo(digest, mediaType, record.size());
  }

  /**
   * The media type a manifest linked by {@link ManifestLink#OWN_TYPE} names in its bytes (a push
   * writes such a link only for bytes that name it); {@code MANIFEST_UNKNOWN} when the bytes are
   * gone (GC swept them since the link was read).
   */
  private String ownType(Digest digest, Supplier<Optional<byte[]>> body, Reference reference) {
    return ownTypes.get(
        digest,
        d ->
            ManifestParser.ownMediaType(body.get().orElseThrow(() -> manifestUnknown(reference)))
                .orElseThrow(
                    () ->
                        new IllegalStateException(
                            "manifest " + d + " has an empty link and names no media type")));
  }

  /**
   * A manifest may name its config, layers, children and subject under any registered algorithm
   * (image-spec allows mixing them); one this registry does not take is refused as the spec's
   * {@code DIGEST_INVALID} ("may also be returned when a manifest includes an invalid layer
   * digest"), before anything is written or fenced.
   */
  private void requireSupportedDigests(ParsedManifest manifest) {
    List<ManifestDescriptor> named = new ArrayList<>();
    manifest.config().ifPresent(named::add);
    named.addAll(manifest.layers());
    named.addAll(manifest.manifests());
    manifest.subject().ifPresent(named::add);
    for (ManifestDescriptor descriptor : named) {
      StoreRegistry.requireSupported(options, descriptor.digest());
    }
  }

  PutManifestResult putManifest(
      RepositoryName repo,
      Reference reference,
      List<Tag> tagParams,
      String contentType,
      byte[] body,
      ImmutableTagOverride override) {
    if (reference instanceof Tag && !tagParams.isEmpty()) {
      throw ErrorCode.MANIFEST_INVALID
          .exception("tag query parameters need a push by digest")
          .withDetail(Map.of("reference", reference.toString()));
    }
    ManifestValidator.Accepted accepted = validator.validate(reference, contentType, body);
    ParsedManifest manifest = accepted.manifest();
    requireSupportedDigests(manifest);
    List<Digest> candidates =
        reference instanceof Tag
            ? ManifestDigests.candidates(accepted.digest(), body, options::accepts)
            : List.of(accepted.digest());
    Optional<Tag> named = reference instanceof Tag tag ? Optional.of(tag) : Optional.empty();
    Fenced fenced = fenceManifest(repo, manifest, candidates, named);
    Digest digest = fenced.digest();
    boolean runActive = fenced.runActive();
    List<Tag> tags = new ArrayList<>(tagParams.stream().distinct().toList());
    named.ifPresent(tags::add);
    TagPlan plan = planTags(repo, tags, digest, override, fenced.tagTargets());
    QuotaLedger.Admission admission = admitToQuotas(repo, manifest, digest, body.length);
    try {
      PutManifestResult result =
          write(repo, manifest, digest, body, tags, plan, override, runActive);
      return named.isPresent() ? result.replacing(fenced.tagTargets().get(named.get())) : result;
    } finally {
      quotas.settled(admission);
    }
  }

  private PutManifestResult write(
      RepositoryName repo,
      ParsedManifest manifest,
      Digest digest,
      byte[] body,
      List<Tag> tags,
      TagPlan plan,
      ImmutableTagOverride override,
      boolean runActive) {
    // Write order, each step one atomic object write, so a crash after any step leaves a state
    // readers may see and a retry of the same PUT completes (every step is idempotent): the
    // catalog marker (a listed repository whose tag list is still empty: it names nothing, so it
    // needs nothing before it), the manifest's record (its bytes inline, or written first at a data
    // key of their own: a crash before the record leaves only stray data, which GC collects), the
    // revision link (pullable by digest), the referrer entry (only ever for a linked manifest), and
    // last the tag, the one step that makes the push visible by name. The steps are one batch
    // (ObjectStore#writeAll): a crash leaves a prefix of them, and on the filesystem's index all of
    // them or none. The record goes alongside the catalog marker (on S3 in the same round): each
    // needs nothing of the other, and a crash leaving the record without the marker leaves only an
    // unlinked record, which GC collects, or which this PUT's retry finds (if-absent) and links.
    List<ObjectWrite> writes = new ArrayList<>();
    if (catalogued.getIfPresent(repo) == null) {
      writes.add(
          ObjectWrite.ifAbsent(StorageLayout.keyOf(new CatalogKey(repo)), StoredValues.empty()));
    }
    Optional<RepositoryBlobs.RecordWrite> record = blobs.smallRecord(digest, body);
    int recordAt = writes.size();
    if (record.isPresent()) {
      writes.add(recordAt > 0 ? record.get().write().alongsidePrevious() : record.get().write());
    }
    // Bytes that name their own type (the validator checked it is the pushed one) get an empty
    // link, created in place; the others record the type the push gave.
    ManifestLink link =
        options.ownTypeManifestLinks() && manifest.typeInBody()
            ? ManifestLink.OWN_TYPE
            : new ManifestLink(manifest.mediaType());
    writes.add(
        ObjectWrite.replace(StorageLayout.keyOf(new ManifestLinkKey(repo, digest)), link.write()));
    Optional<Digest> subject = manifest.subject().map(s -> s.digest());
    if (subject.isPresent()) {
      ReferrerDescriptor entry =
          new ReferrerDescriptor(
              manifest.mediaType(),
              digest,
              body.length,
              manifest.effectiveArtifactType(),
              manifest.annotations());
      writes.add(
          ObjectWrite.replace(
              StorageLayout.keyOf(new ReferrerKey(repo, subject.get(), digest)), entry.write()));
    }
    // While a GC run is active, a tag mark goes first: retention deletes old tags and re-reads each
    // one just before, but a store has no compare-and-delete, so a push landing between its re-read
    // and its delete would lose the tag. Retention reads the tag marks after its deletes and puts
    // back any tag it deleted that a mark names (dev.lading.gc.Retention has the argument).
    if (runActive) {
      for (Tag tag : tags) {
        writes.add(
            ObjectWrite.replace(
                StorageLayout.keyOf(new GcTagMarkKey(repo, tag)), new TagTarget(digest).write()));
      }
    }
    // Tags no immutability rule touches end the batch. One object per tag: moving a tag is one
    // atomic write, but several tags (?tag=a&tag=b) are several writes, in the order given. Every
    // tag was validated before the first write, so a refused push moves none. A crash between two
    // tag writes leaves the first tags moved and the rest where they were, each pointing at a
    // complete manifest (the link is written); the client got no 201, so it retries the same PUT,
    // which is idempotent and sets them all.
    boolean onlyFreeTags = plan.createOnly().isEmpty() && plan.overridden().isEmpty();
    if (onlyFreeTags) {
      for (Tag tag : plan.free()) {
        writes.add(
            ObjectWrite.replace(
                StorageLayout.keyOf(new TagKey(repo, tag)), new TagTarget(digest).write()));
      }
    }
    List<Boolean> written = io(() -> store.writeAll(writes));
    catalogued.put(repo, true);
    if (record.isPresent()) {
      blobs.settle(record.get(), written.get(recordAt));
    }
    // Immutable tags not yet there go after the batch, created only if absent (see writeTags).
    if (!onlyFreeTags) {
      writeTags(repo, plan, digest, override);
    }
    LOG.info(
        "manifest pushed repository={} digest={} tag={} mediaType={}",
        repo,
        digest,
        tags.isEmpty() ? "-" : String.join(",", tags.stream().map(Tag::value).toList()),
        manifest.mediaType());
    return new PutManifestResult(digest, subject, ManifestWarnings.of(manifest));
  }

  void deleteManifest(RepositoryName repo, Reference reference, ImmutableTagOverride override) {
    ImmutableTags rules = immutableTags;
    switch (reference) {
      case Tag tag -> {
        String key = StorageLayout.keyOf(new TagKey(repo, tag));
        if (io(() -> store.stat(key)).isEmpty()) {
          throw manifestUnknown(reference);
        }
        Optional<ImmutableTagRule> rule = rules.ruleFor(repo, tag);
        if (rule.isPresent()) {
          Optional<Digest> current = tagTarget(repo, tag);
          if (current.isPresent()) {
            guardDelete(rule.get(), repo, tag, current.get(), override);
          }
        }
        run(() -> store.delete(List.of(key)));
        LOG.info("tag deleted repository={} tag={}", repo, tag.value());
      }
      case Digest digest -> {
        ManifestLink link =
            manifestLink(repo, digest).orElseThrow(() -> manifestUnknown(reference));
        List<String> doomed = new ArrayList<>();
        List<Tag> doomedTags = new ArrayList<>();
        for (String tagKey : allKeys(StorageLayout.tagsPrefix(repo))) {
          Optional<TagTarget> target = io(() -> store.read(tagKey)).map(TagTarget::read);
          if (target.isPresent() && target.get().manifest().equals(digest)) {
            doomed.add(tagKey);
            StorageLayout.parse(tagKey, TagKey.class).ifPresent(k -> doomedTags.add(k.tag()));
          }
        }
        // Deleting the manifest deletes its tags: refused when one of them is immutable. All are
        // checked before anything is deleted, so a refusal leaves the manifest whole.
        List<Runnable> uses = new ArrayList<>();
        for (Tag tag : doomedTags) {
          Optional<ImmutableTagRule> rule = rules.ruleFor(repo, tag);
          if (rule.isPresent()) {
            ImmutableTagOverride.Use use =
                new ImmutableTagOverride.Use(rule.get(), repo, tag, digest, Optional.empty());
            if (!override.isGranted()) {
              throw ImmutableTags.refusal(
                  rule.get(),
                  repo,
                  tag,
                  digest,
                  Optional.empty(),
                  "deleting manifest " + digest + " would delete it");
            }
            uses.add(() -> override.used(use));
          }
        }
        uses.forEach(Runnable::run);
        // The reverse of a put: tags, then the referrer entry, then the link, deleted in this
        // order (a store deletes a batch's keys in order or all at once), so a crash part-way
        // leaves no tag or referrer entry naming a manifest the repository no longer links, and
        // a retried DELETE finishes the rest.
        subjectOf(digest, link)
            .ifPresent(
                subject -> doomed.add(StorageLayout.keyOf(new ReferrerKey(repo, subject, digest))));
        doomed.add(StorageLayout.keyOf(new ManifestLinkKey(repo, digest)));
        run(() -> store.delete(doomed));
        LOG.info(
            "manifest deleted repository={} digest={} tagsRemoved={}",
            repo,
            digest,
            doomed.size() - 1);
      }
    }
  }

  /**
   * The quotas' check ({@link QuotaLedger}): after the fence confirmed every referenced blob (so
   * their records are fresh in the cache), before anything is written, the manifest's own bytes and
   * the blobs it keeps are admitted or the push is refused with {@code DENIED}. An index adds only
   * its own bytes: its children are linked here already, counted when they were pushed.
   */
  private QuotaLedger.Admission admitToQuotas(
      RepositoryName repo, ParsedManifest manifest, Digest digest, long size) {
    if (!quotas.covers(repo)) {
      return QuotaLedger.Admission.NONE;
    }
    Map<Digest, Long> content = new LinkedHashMap<>();
    content.put(digest, size);
    Map<Digest, Long> declared = new LinkedHashMap<>();
    manifest.config().ifPresent(c -> declared.put(c.digest(), c.size()));
    manifest.layers().forEach(l -> declared.put(l.digest(), l.size()));
    for (Digest d : manifest.requiredBlobs()) {
      // The record's size, not the descriptor's: a client may not declare its layers small.
      content.putIfAbsent(
          d, blobs.record(d).map(BlobRecord::size).orElseGet(() -> declared.getOrDefault(d, 0L)));
    }
    return quotas.admit(repo, content);
  }

  /** The tags of a push with what the immutable tag rules ask of each, decided before any write. */
  private record TagPlan(
      Map<Tag, ImmutableTagRule> createOnly,
      Map<Tag, ImmutableTagOverride.Use> overridden,
      List<Tag> free) {}

  /**
   * Sorts the push's tags: free (no rule: written as always), create-only (immutable and absent, or
   * already naming this digest: written only if absent), overridden (immutable, naming another
   * digest, with a granted override). An immutable tag naming another digest without an override
   * refuses the whole push here, before anything is written. A tag in {@code readTargets} (the one
   * a push by tag is made by, read with the references) is not read again.
   */
  private TagPlan planTags(
      RepositoryName repo,
      List<Tag> tags,
      Digest digest,
      ImmutableTagOverride override,
      Map<Tag, Optional<Digest>> readTargets) {
    ImmutableTags rules = immutableTags;
    Map<Tag, ImmutableTagRule> createOnly = new LinkedHashMap<>();
    Map<Tag, ImmutableTagOverride.Use> overridden = new LinkedHashMap<>();
    List<Tag> free = new ArrayList<>();
    for (Tag tag : tags) {
      Optional<ImmutableTagRule> rule = rules.ruleFor(repo, tag);
      if (rule.isEmpty()) {
        free.add(tag);
        continue;
      }
      Optional<Digest> current =
          readTargets.containsKey(tag) ? readTargets.get(tag) : tagTarget(repo, tag);
      if (current.isEmpty() || current.get().equals(digest)) {
        createOnly.put(tag, rule.get());
      } else if (override.isGranted()) {
        overridden.put(
            tag,
            new ImmutableTagOverride.Use(
                rule.get(), repo, tag, current.get(), Optional.of(digest)));
      } else {
        throw ImmutableTags.refusal(
            rule.get(),
            repo,
            tag,
            current.get(),
            Optional.of(digest),
            "a push may not move it to " + digest);
      }
    }
    return new TagPlan(createOnly, overridden, free);
  }

  /**
   * Writes the planned tags: the create-only ones first, each with {@code writeIfAbsent}; one that
   * another push created meanwhile with another digest refuses this push (or, overridden, is
   * moved), after removing the tags this push created, so no tag of it has moved. Then the
   * overridden ones (each reported to the override's listener first) and the free ones.
   */
  private void writeTags(
      RepositoryName repo, TagPlan plan, Digest digest, ImmutableTagOverride override) {
    byte[] target = new TagTarget(digest).write();
    List<String> created = new ArrayList<>();
    List<ImmutableTagOverride.Use> raced = new ArrayList<>();
    for (Map.Entry<Tag, ImmutableTagRule> e : plan.createOnly().entrySet()) {
      Tag tag = e.getKey();
      String key = StorageLayout.keyOf(new TagKey(repo, tag));
      if (io(() -> store.writeIfAbsent(key, target))) {
        created.add(key);
        continue;
      }
      Optional<Digest> winner = tagTarget(repo, tag);
      if (winner.isEmpty() || winner.get().equals(digest)) {
        // Ours already (a re-push), or deleted in between under an override, as if after us.
        continue;
      }
      if (override.isGranted()) {
        raced.add(
            new ImmutableTagOverride.Use(
                e.getValue(), repo, tag, winner.get(), Optional.of(digest)));
        continue;
      }
      if (!created.isEmpty()) {
        run(() -> store.delete(created));
      }
      LOG.info(
          "immutable tag created concurrently repository={} tag={} winner={} refused={}",
          repo,
          tag.value(),
          winner.get(),
          digest);
      throw ImmutableTags.refusal(
          e.getValue(),
          repo,
          tag,
          winner.get(),
          Optional.of(digest),
          "another push created it first; a push may not move it to " + digest);
    }
    List<ImmutableTagOverride.Use> moves = new ArrayList<>(plan.overridden().values());
    moves.addAll(raced);
    for (ImmutableTagOverride.Use use : moves) {
      override.used(use);
      run(() -> store.write(StorageLayout.keyOf(new TagKey(repo, use.tag())), target));
    }
    for (Tag tag : plan.free()) {
      run(() -> store.write(StorageLayout.keyOf(new TagKey(repo, tag)), target));
    }
  }

  private void guardDelete(
      ImmutableTagRule rule,
      RepositoryName repo,
      Tag tag,
      Digest current,
      ImmutableTagOverride override) {
    if (!override.isGranted()) {
      throw ImmutableTags.refusal(
          rule, repo, tag, current, Optional.empty(), "a delete may not remove it");
    }
    override.used(new ImmutableTagOverride.Use(rule, repo, tag, current, Optional.empty()));
  }

  /** Where {@code tag} points now, read from the store. */
  private Optional<Digest> tagTarget(RepositoryName repo, Tag tag) {
    return io(() -> store.read(StorageLayout.keyOf(new TagKey(repo, tag))))
        .map(b -> TagTarget.read(b).manifest());
  }

  Page listTags(RepositoryName repo, int limit, Optional<String> last) {
    Page.requireValidLimit(limit);
    if (io(() -> store.stat(StorageLayout.keyOf(new CatalogKey(repo)))).isEmpty()) {
      throw ErrorCode.NAME_UNKNOWN.exception().withDetail(Map.of("name", repo.value()));
    }
    if (limit == 0) {
      return new Page(List.of(), false);
    }
    Optional<String> startAfter =
        last.map(
            l -> {
              if (!Tag.isTag(l)) {
                throw ErrorCode.PARAMETER_INVALID.exception("invalid last tag").withDetail(l);
              }
              return StorageLayout.keyOf(new TagKey(repo, Tag.parse(l)));
            });
    KeyPage page = io(() -> store.list(StorageLayout.tagsPrefix(repo), startAfter, limit));
    List<String> tags = new ArrayList<>(page.keys().size());
    for (String key : page.keys()) {
      tags.add(
          StorageLayout.parse(key, TagKey.class)
              .orElseThrow(() -> new IllegalStateException("not a tag: " + key))
              .tag()
              .value());
    }
    return new Page(tags, page.truncated());
  }

  Referrers referrers(RepositoryName repo, Digest subject, Optional<String> artifactType) {
    List<Descriptor> out = new ArrayList<>();
    for (String key : allKeys(StorageLayout.referrersPrefix(repo, subject))) {
      Optional<byte[]> bytes = io(() -> store.read(key));
      if (bytes.isEmpty()) {
        continue; // deleted while listing
      }
      ReferrerDescriptor stored = ReferrerDescriptor.read(bytes.get());
      if (artifactType.isPresent() && !artifactType.equals(stored.artifactType())) {
        continue;
      }
      out.add(
          new Descriptor(
              stored.mediaType(),
              stored.digest(),
              stored.size(),
              stored.artifactType(),
              stored.annotations()));
    }
    return new Referrers(out, artifactType);
  }

  /**
   * How long a manifest push waits for a sweeper to settle the blobs it references before it is
   * refused: a sweep clears the intents of what its re-check saved at once and of the rest once
   * deleted, which takes seconds even for large runs.
   */
  static final Duration MANIFEST_WAITS_FOR_SWEEP = Duration.ofSeconds(30);

  /**
   * What the fence let through: the digest the manifest is stored under, whether a run is on, and
   * where the tag of a push by tag pointed before (read with the references; no entry for a push by
   * digest).
   */
  private record Fenced(Digest digest, boolean runActive, Map<Tag, Optional<Digest>> tagTargets) {}

  /**
   * GC's fence for a manifest push: mark every digest the manifest needs (and its own, in each form
   * it may be stored under); when a sweeper intends to delete one of them or its link here, wait
   * until that sweep has settled it (see {@link GcFence#awaitNoIntents}); then re-check that they
   * still exist in the store itself (not a cache), and only then let the caller write. So the push
   * is refused with {@code MANIFEST_BLOB_UNKNOWN} only for a blob a run really deleted (the client
   * re-uploads and retries), or when the sweep does not settle within {@link
   * #MANIFEST_WAITS_FOR_SWEEP}. A blob swept after the re-check is impossible: the sweeper re-reads
   * the marks after writing its intent, and deletes nothing after clearing it. Marks are written
   * only while a run is active ({@link Fenced#runActive}; then tags are marked too).
   */
  private Fenced fenceManifest(
      RepositoryName repo, ParsedManifest manifest, List<Digest> candidates, Optional<Tag> named) {
    List<Digest> blobRefs = manifest.requiredBlobs();
    // A sparse index (children not all here) is accepted only when configured so; the children
    // it does not check are not marked either: GC keeps only children the repository links.
    List<Digest> manifestRefs =
        options.allowSparseIndex() && manifest.isIndex() ? List.of() : manifest.requiredManifests();
    List<Digest> all = new ArrayList<>(blobRefs);
    all.addAll(manifestRefs);
    // A form the manifest is not stored under is marked for nothing: a mark only keeps a digest.
    List<Digest> marked = new ArrayList<>(all);
    marked.addAll(candidates);
    GcFence fence = blobs.fence();
    GcFence.Ticket ticket = fence.enter(repo, marked);
    Fenced fenced =
        settleAndCheck(repo, blobRefs, manifestRefs, all, candidates, named, ticket.marked());
    if (!fence.stillClear(ticket)) {
      // A run appeared after a cached "no run": the marks are written now; settle again.
      fenced = settleAndCheck(repo, blobRefs, manifestRefs, all, candidates, named, true);
    }
    return fenced;
  }

  /**
   * P3 of the fence and the manifest's only check of its references: after any intent on them has
   * settled, each referenced blob and child manifest must be linked here, read from the store (a
   * blob's link from the {@link LinkCache} when this instance saw it under the current link epoch,
   * which no deletion outlives). A link stands for its record, so the record is not read: a record
   * is written before any link to it ({@link RepositoryBlobs#commitAndLink}; a mount or retried
   * close links only a record it read), and only a sweep deletes one, after it deleted every link
   * to it that it found ({@code Sweep} deletes links durably, then records, and stops at the first
   * failure); a link it did not find was written through the fence after its listing, which either
   * saved the record or waited for the sweep and wrote the record again first. So one store call
   * each, side by side where calls are round trips, and with them, for a push by tag, the links of
   * the manifest's own {@code candidates} other than sha256 ({@link ManifestDigests}) and where the
   * tag it is pushed by points now (for the audit log's moved tag and the immutability rules: one
   * read fewer after this round). Every link is only stat'ed: that it exists is all a check needs
   * (on S3 a {@code HEAD}, no body to read or error to parse). The first missing reference in the
   * manifest's order is the one reported.
   */
  private Fenced settleAndCheck(
      RepositoryName repo,
      List<Digest> blobRefs,
      List<Digest> manifestRefs,
      List<Digest> all,
      List<Digest> candidates,
      Optional<Tag> named,
      boolean runActive) {
    GcFence fence = blobs.fence();
    // Intents exist only while a run sweeps, and a run writes them only after its fence delay,
    // longer than the run cache: with no run known (and that answer fresh) there are none to
    // read. stillClear re-reads the runs before the final write once that answer has aged.
    if (runActive) {
      for (Digest unsettled : fence.awaitNoIntents(all, repo, MANIFEST_WAITS_FOR_SWEEP)) {
        throw manifestBlobUnknown(unsettled);
      }
    }
    List<Callable<Boolean>> checks = new ArrayList<>(all.size() + candidates.size());
    for (Digest d : blobRefs) {
      checks.add(() -> blobs.isLinked(repo, d));
    }
    for (Digest d : manifestRefs) {
      checks.add(() -> isManifestLinked(repo, d));
    }
    // A single candidate (a push by digest) is stored under that digest: nothing to read. Of a
    // push by tag's, only the other forms are read here: sha256 is chosen unless one of them is
    // linked, so its own link matters only then (read below, a round of its own in that rare case).
    List<Digest> otherForms = candidates.subList(1, candidates.size());
    for (Digest d : otherForms) {
      checks.add(() -> isManifestLinked(repo, d));
    }
    boolean sideBySide = store.callsAreRoundTrips();
    Fenced fenced =
        Concurrently.both(
            () -> Concurrently.call(checks, sideBySide),
            () -> named.map(tag -> Map.of(tag, tagTarget(repo, tag))).orElse(Map.of()),
            (present, tagTargets) -> {
              for (int i = 0; i < all.size(); i++) {
                if (!present.get(i)) {
                  throw manifestBlobUnknown(all.get(i));
                }
              }
              Digest digest =
                  ManifestDigests.chosen(
                      candidates,
                      present.subList(all.size(), present.size()),
                      () -> isManifestLinked(repo, candidates.getFirst()));
              return new Fenced(digest, runActive, tagTargets);
            },
            sideBySide && named.isPresent());
    // The manifest's own bytes: an old copy being swept goes first, then ours is written.
    if (runActive) {
      fence.awaitNoIntent(fenced.digest(), repo);
    }
    return fenced;
  }

  private static RegistryException manifestBlobUnknown(Digest digest) {
    return ErrorCode.MANIFEST_BLOB_UNKNOWN
        .exception()
        .withDetail(Map.of("digest", digest.toString()));
  }

  private Digest resolve(RepositoryName repo, Reference reference) {
    return switch (reference) {
      case Digest digest -> digest;
      case Tag tag -> {
        byte[] target =
            io(() -> store.read(StorageLayout.keyOf(new TagKey(repo, tag))))
                .orElseThrow(() -> manifestUnknown(reference));
        yield TagTarget.read(target).manifest();
      }
    };
  }

  private boolean isManifestLinked(RepositoryName repo, Digest digest) {
    return io(() -> store.stat(StorageLayout.keyOf(new ManifestLinkKey(repo, digest)))).isPresent();
  }

  private Optional<ManifestLink> manifestLink(RepositoryName repo, Digest digest) {
    return io(() -> store.read(StorageLayout.keyOf(new ManifestLinkKey(repo, digest))))
        .map(ManifestLink::read);
  }

  /** The subject of a stored manifest, read back from its bytes (they were valid when pushed). */
  private Optional<Digest> subjectOf(Digest digest, ManifestLink link) {
    return blobs
        .readSmall(digest)
        .flatMap(
            body -> {
              try {
                return StoredValues.readManifest(body, () -> Optional.of(link))
                    .subject()
                    .map(s -> s.digest());
              } catch (RegistryException | IOException e) {
                return Optional.empty();
              }
            });
  }

  private List<String> allKeys(String prefix) {
    return io(() -> AllKeys.under(store, prefix));
  }

  private static RegistryException manifestUnknown(Reference reference) {
    return ErrorCode.MANIFEST_UNKNOWN
        .exception()
        .withDetail(Map.of("reference", reference.toString()));
  }
}
