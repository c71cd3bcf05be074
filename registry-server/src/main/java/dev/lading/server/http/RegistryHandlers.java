package dev.lading.server.http;

import dev.lading.core.registry.Registry;
import java.util.EnumMap;
import java.util.Map;

/** The one handler per resource, wired to one registry. */
public final class RegistryHandlers {
  private RegistryHandlers() {}

  public static Map<Routes.Resource, ResourceHandler> of(Registry registry, long manifestLimitBytes) {
    Map<Routes.Resource, ResourceHandler> m = new EnumMap<>(Routes.Resource.class);
    m.put(Routes.Resource.BASE, new BaseHandler());
    m.put(Routes.Resource.CATALOG, new CatalogHandler(registry));
    m.put(Routes.Resource.TAGS, new TagsHandler(registry));
    m.put(Routes.Resource.MANIFEST, new ManifestHandler(registry, manifestLimitBytes));
    m.put(Routes.Resource.BLOB, new BlobHandler(registry));
    UploadHandler uploads = new UploadHandler(registry);
    m.put(Routes.Resource.UPLOADS, uploads);
    m.put(Routes.Resource.UPLOAD, uploads);
    m.put(Routes.Resource.REFERRERS, new ReferrersHandler(registry));
    return m;
  }
}
