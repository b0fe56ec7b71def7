package dev.recur.engine.cli.bench;

import jdk.incubator.vector.FloatVector;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/** What a benchmark figure depends on besides the code: the machine, the JDK, the GPU if any. */
record MachineFacts(String cpuModel, int cores, int vectorBits, String jdkVersion, String jdkVendor, String os,
                    String gpuName, String gpuDriver) {
    static MachineFacts probe() {
        String[] gpu = nvidiaGpu();
        return new MachineFacts(readCpuModel(), Runtime.getRuntime().availableProcessors(),
                FloatVector.SPECIES_PREFERRED.vectorBitSize(), Runtime.version().toString(),
                System.getProperty("java.vendor"),
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"),
                gpu[0], gpu[1]);
    }

    /** "model name" from /proc/cpuinfo (Linux), else os.arch. */
    private static String readCpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) return line.substring(line.indexOf(':') + 1).strip();
            }
        } catch (IOException | RuntimeException notLinux) {
            // fall through
        }
        return System.getProperty("os.arch");
    }

    /**
     * The first NVIDIA GPU's model and the driver version, from the driver's /proc files, without
     * starting a process; {null, null} when there is no NVIDIA driver.
     */
    private static String[] nvidiaGpu() {
        String name = null, driver = null;
        try {
            Path version = Path.of("/proc/driver/nvidia/version");
            if (Files.isReadable(version)) {
                // "NVRM version: NVIDIA UNIX x86_64 Kernel Module  550.54.15  Tue Mar 5 ..."
                String first = Files.readAllLines(version).getFirst();
                java.util.regex.Matcher m = java.util.regex.Pattern.compile("\\s(\\d+\\.\\d+(\\.\\d+)?)\\s").matcher(first);
                driver = m.find() ? m.group(1) : first.strip();
            }
            Path gpus = Path.of("/proc/driver/nvidia/gpus");
            if (Files.isDirectory(gpus)) {
                try (DirectoryStream<Path> dirs = Files.newDirectoryStream(gpus)) {
                    for (Path d : dirs) {
                        List<String> info = Files.readAllLines(d.resolve("information"));
                        for (String line : info) {
                            if (line.startsWith("Model:")) name = line.substring(6).strip();
                        }
                        if (name != null) break;
                    }
                }
            }
        } catch (IOException | RuntimeException unreadable) {
            // no driver, or files we cannot read: report what we have
        }
        return new String[]{name, driver};
    }
}
