package dev.lading.server;

import java.io.Console;

/** Whether the command line runs at an interactive terminal (keyboard and display). */
final class Terminal {
  private Terminal() {}

  /**
   * True when standard input and output are a terminal. On JDK 21 {@link System#console()} exists
   * only then; from JDK 22 it exists for pipes too and {@code Console.isTerminal()} tells, which
   * the jar (built for 21) can only reach reflectively.
   */
  static boolean interactive() {
    Console console = System.console();
    if (console == null) {
      return false;
    }
    try {
      return (Boolean) Console.class.getMethod("isTerminal").invoke(console);
    } catch (NoSuchMethodException onJdk21) {
      return true;
    } catch (ReflectiveOperationException | RuntimeException e) {
      return false;
    }
  }
}
