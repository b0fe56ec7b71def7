package dev.recur.engine.cli;

/**
 * Whether this Java runtime can draw the PNG charts (XChart needs AWT, in module java.desktop).
 * The runtime that {@code recur dist} builds leaves java.desktop out: with it the folder would pass
 * 60 MB; without it every command still writes its numbers (JSON, CSV, text), only not the PNGs.
 */
public final class Charts {
    /** The one line a command prints (or fails with, for an explicit {@code --png}) when charts cannot be drawn. */
    public static final String UNAVAILABLE =
            "no PNG charts: this Java runtime has no java.desktop module (the runtime of recur dist leaves it out)";

    private Charts() {
    }

    public static boolean available() {
        return ModuleLayer.boot().findModule("java.desktop").isPresent();
    }
}
