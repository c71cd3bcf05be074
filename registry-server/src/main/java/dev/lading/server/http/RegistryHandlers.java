package dev.lading.server.http;

import dev.lading.core.registry.Registry;
import dev.lading.core.storage.ObjectStore;
import java.time.Duration;
import java.util.EnumMap;
import java.util.Map;
import java.util.Optional;

/** The one handler per resource, wired to one registry. */
public final class RegistryHandlers {
  private RegistryHandlers() {}

  public static Map<Routes.Resource, ResourceHandler> of(
      Registry registry, long manifestLimitBytes) {
    return of(registry, manifestLimitBytes, Optional.empty());
  }

  /**
   * With {@code blobRedirect}, blob GETs are answered {@code 307} to a URL valid that long where
   * the store hands such URLs out (S3 presigned); HEADs are always answered here.
   */
  public static Map<Routes.Resource, ResourceHandler> of(
      Registry registry, long manifestLimitBytes, Optional<Duration> blobRedirect) {
    return of(registry, manifestLimitBytes, blobRedirect, ByteRangeHeader.DEFAULT_MAX_RANGES);
  }

  /**
   * With {@code maxRanges}: the most byte ranges one blob GET may name ({@code limits.max_ranges}).
   */
  public static Map<Routes.Resource, ResourceHandler> of(
      Registry registry, long manifestLimitBytes, Optional<Duration> blobRedirect, int maxRanges) {
    return of(
        registry,
        manifestLimitBytes,
        blobRedirect,
        maxRanges,
        new SignedBlobUrls(),
        PolicyGuard.none());
  }

  /**
   * With the key of Lading's own signed blob URLs kept in {@code store} (created there unless
   * {@code readOnly}), so every instance on the store honours the URLs any of them issued.
   */
  public static Map<Routes.Resource, ResourceHandler> of(
      Registry registry,
      long manifestLimitBytes,
      Optional<Duration> blobRedirect,
      int maxRanges,
      ObjectStore store,
      boolean readOnly) {
    return of(
        registry, manifestLimitBytes, blobRedirect, maxRanges, store, readOnly, PolicyGuard.none());
  }

  /** With {@code policies} deciding immutable tag overrides and auditing policy refusals. */
  public static Map<Routes.Resource, ResourceHandler> of(
      Registry registry,
      long manifestLimitBytes,
      Optional<Duration> blobRedirect,
      int maxRanges,
      ObjectStore store,
      boolean readOnly,
      PolicyGuard policies) {
    return of(
        registry,
        manifestLimitBytes,
        blobRedirect,
        maxRanges,
        SignedBlobUrls.shared(store, !readOnly),
        policies);
  }

  private static Map<Routes.Resource, ResourceHandler> of(
      Registry registry,
      long manifestLimitBytes,
      Optional<Duration> blobRedirect,
      int maxRanges,
      SignedBlobUrls signed,
      PolicyGuard policies) {
    Map<Routes.Resource, ResourceHandler> m = new EnumMap<>(Routes.Resource.class);
    m.put(Routes.Resource.BASE, new BaseHandler());
    m.put(Routes.Resource.CATALOG, new CatalogHandler(registry));
    m.put(Routes.Resource.TAGS, new TagsHandler(registry));
    m.put(Routes.Resource.MANIFEST, new ManifestHandler(registry, manifestLimitBytes, policies));
    m.put(Routes.Resource.BLOB, new BlobHandler(registry, blobRedirect, maxRanges, signed));
    m.put(
        Routes.Resource.SIGNED_BLOB,
        new SignedBlobUrls.Handler(signed, new BlobDownload(registry, maxRanges)));
    UploadHandler uploads = new UploadHandler(registry, policies);
    m.put(Routes.Resource.UPLOADS, uploads);
    m.put(Routes.Resource.UPLOAD, uploads);
    m.put(Routes.Resource.REFERRERS, new ReferrersHandler(registry));
    m.put(Routes.Resource.FILES, new FilesHandler(registry, maxRanges));
    return m;
  }
}
