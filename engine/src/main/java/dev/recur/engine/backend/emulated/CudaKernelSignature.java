package dev.recur.engine.backend.emulated;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A kernel's C parameter list as the ABI sees it: each parameter's kind (int32, float32 or a
 * 64-bit device pointer) and name, in order. Parsed from the C text itself ({@code "int n, float
 * alpha, const float* x, float* y"}), so that a twin's declaration reads like the
 * {@code extern "C" __global__} line it mirrors and a test can compare the two.
 */
public record CudaKernelSignature(String name, List<Parameter> parameters) {
    /** How an argument travels: by value as int32, float32 or float64, or as a device address. */
    public enum Kind { INT, FLOAT, DOUBLE, POINTER }

    public record Parameter(Kind kind, String name) {
        @Override
        public String toString() {
            return kind.name().toLowerCase(java.util.Locale.ROOT) + " " + name;
        }
    }

    private static final Pattern PARAMETER = Pattern.compile("^(?:const\\s+)?(int|float|double)\\s*(\\*?)\\s*(\\w+)$");

    public CudaKernelSignature {
        parameters = List.copyOf(parameters);
    }

    /** Parses a C parameter list of ints, floats and pointers (to int, float or double). */
    public static CudaKernelSignature parse(String name, String cParameters) {
        List<Parameter> list = new ArrayList<>();
        String text = cParameters.replaceAll("\\s+", " ").strip();
        if (!text.isEmpty() && !text.equals("void")) {
            for (String part : text.split(",")) {
                Matcher m = PARAMETER.matcher(part.strip());
                if (!m.matches()) {
                    throw new IllegalArgumentException("kernel " + name + ": cannot read the parameter '" + part.strip()
                            + "' (expected int, float or a pointer to int, float or double)");
                }
                Kind kind = !m.group(2).isEmpty() ? Kind.POINTER : switch (m.group(1)) {
                    case "int" -> Kind.INT;
                    case "float" -> Kind.FLOAT;
                    default -> Kind.DOUBLE;
                };
                list.add(new Parameter(kind, m.group(3)));
            }
        }
        return new CudaKernelSignature(name, list);
    }

    @Override
    public String toString() {
        return name + parameters.toString().replace('[', '(').replace(']', ')');
    }
}
