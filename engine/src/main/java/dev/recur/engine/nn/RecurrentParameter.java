package dev.recur.engine.nn;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * PyTorch's state_dict names for the parameters of nn.RNN / nn.GRU / nn.LSTM, the one place they
 * are spelled: {@code <stem>_l<layer>} for the forward direction of a layer and
 * {@code <stem>_l<layer>_reverse} for its backward direction, e.g. {@code weight_hh_l1_reverse}.
 * Shapes (G gates, H hidden, P = proj_size or H, I_l = the layer's input width): weight_ih [G·H, I_l],
 * weight_hh [G·H, P], bias_ih and bias_hh [G·H], weight_hr [P, H] (LSTM with proj_size only).
 */
public enum RecurrentParameter {
    WEIGHT_IH("weight_ih"), WEIGHT_HH("weight_hh"), BIAS_IH("bias_ih"), BIAS_HH("bias_hh"), WEIGHT_HR("weight_hr");

    /** A parsed name: which parameter, of which layer, in which direction. */
    public record Key(RecurrentParameter parameter, int layer, boolean reverse) {
    }

    /** What a name must look like, for error messages. */
    public static final String EXPECTED_FORM = "weight_ih_lK, weight_hh_lK, bias_ih_lK, bias_hh_lK, weight_hr_lK, optionally _reverse";

    private static final Pattern NAME = Pattern.compile("(weight_ih|weight_hh|bias_ih|bias_hh|weight_hr)_l(\\d+)(_reverse)?");

    /** {@code weight_ih}, {@code bias_hh}, ...: the name without layer and direction. */
    public final String stem;

    RecurrentParameter(String stem) {
        this.stem = stem;
    }

    /** This parameter's name in layer {@code layer}, direction 0 (forward) or 1 (reverse). */
    public String name(int layer, int direction) {
        return stem + "_l" + layer + (direction == 1 ? "_reverse" : "");
    }

    /** The key a name spells, or null when it is not one of PyTorch's recurrent parameter names. */
    public static Key parse(String name) {
        Matcher m = NAME.matcher(name);
        if (!m.matches()) return null;
        RecurrentParameter parameter = null;
        for (RecurrentParameter p : values()) {
            if (p.stem.equals(m.group(1))) parameter = p;
        }
        return new Key(parameter, Integer.parseInt(m.group(2)), m.group(3) != null);
    }
}
