package dev.lading.bench;

/**
 * One of GcSoak's two Lading processes on the same bucket, with the client that talks to it and the
 * checks that pull from it. Clients switch between the two, so whatever one instance caches about a
 * blob the other may have swept is put to the test.
 */
record GcInstance(String name, SoakServer server, SoakClient client, ContentChecks checks) {

  static GcInstance of(String name, SoakServer server, SoakStats stats) {
    SoakClient client = new SoakClient(server, stats);
    return new GcInstance(name, server, client, new ContentChecks(client, stats));
  }
}
