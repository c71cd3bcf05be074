/**
 * The on-store format, end to end: every key ({@link dev.lading.core.layout.StorageLayout}), what
 * each object holds ({@link dev.lading.core.layout.StoredValues}), the names of the stores' private
 * areas, and the version of it all a store records ({@link dev.lading.core.layout.StoreFormat}).
 * The registry, the GC, the stores and token auth take keys and values from here; nothing else
 * builds or parses them. Depends on the value types ({@code model}), manifest parsing and the
 * storage SPI, never on the registry.
 */
package dev.lading.core.layout;
