package dev.lading.bench;

import java.util.concurrent.atomic.AtomicReference;

/**
 * The threads of a soak run and the first failure that broke the run off: a thread that dies of an
 * uncaught exception, or a check the run could not make. Once broken, the load stops and the report
 * says why.
 */
final class SoakThreads {
  private final AtomicReference<String> broken = new AtomicReference<>();

  /** Starts {@code body} on a thread of its own whose death breaks the run off. */
  Thread start(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setUncaughtExceptionHandler((thread, e) -> breakOff(thread.getName(), e));
    t.start();
    return t;
  }

  /** Records the first failure ({@code where: e}) and prints its stack trace. */
  void breakOff(String where, Throwable e) {
    broken.compareAndSet(null, where + ": " + e);
    e.printStackTrace();
  }

  boolean broken() {
    return broken.get() != null;
  }

  /** Why the run broke off, or null while it runs. */
  String why() {
    return broken.get();
  }
}
