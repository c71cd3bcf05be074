package dev.lading.server.admin;

import dev.lading.gc.GarbageCollector;
import java.util.Locale;

/**
 * How a GC run's phases and their counts are named for people and JSON, shared by {@code GET
 * /admin/gc} and the {@code gc} command's progress.
 */
public final class GcPhases {
  /** A run announced, waiting out the fence delay before it marks. */
  public static final String WAITING = "waiting_for_fence";

  /** Tags retention removed so far (a dry run: would remove), the retention phase's count. */
  public static final String TAGS_REMOVED = "tagsRemoved";

  /** Tags of the repositories a retention policy governs that retention examined so far. */
  public static final String TAGS_EXAMINED = "tagsExamined";

  private GcPhases() {}

  public static String wire(GarbageCollector.Phase phase) {
    return phase.name().toLowerCase(Locale.ROOT);
  }

  /** What the count reported with {@code phase} counts. */
  public static String countName(GarbageCollector.Phase phase) {
    return switch (phase) {
      case ANNOUNCED -> "announced";
      case LISTED -> "repositories";
      case RETENTION -> TAGS_REMOVED;
      case MARKED -> "candidates";
      case INTENTS_WRITTEN -> "intents";
      case SWEPT -> "swept";
      case DONE -> "items";
    };
  }
}
