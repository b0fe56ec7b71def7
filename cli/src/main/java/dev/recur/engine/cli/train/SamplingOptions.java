package dev.recur.engine.cli.train;

import dev.recur.engine.cli.UserError;
import picocli.CommandLine.Option;

/** How {@code recur generate} and {@code recur predict} sample a language model: prompt, length and the draw's settings. */
public final class SamplingOptions {
    @Option(names = "--prompt", description = "text to start from; characters (or words) outside the model's vocabulary "
            + "are left out (read as <unk>), counted on stderr (default: none, the model starts after a newline)")
    String prompt = "";
    @Option(names = "--length", paramLabel = "N", description = "characters (or words) to generate (default 500)")
    int length = 500;
    @Option(names = "--temperature", paramLabel = "T", description = "softmax temperature: below 1 safer, above 1 wilder; "
            + "0 = greedy, always the most likely token (default 0.8)")
    double temperature = 0.8;
    @Option(names = "--top-k", paramLabel = "K", description = "draw among the K most likely tokens only; 0 = all (default)")
    int topK;
    @Option(names = "--top-p", paramLabel = "P", description = "draw among the most likely tokens whose probabilities "
            + "first reach P (nucleus sampling); 1 = all (default)")
    double topP = 1.0;
    @Option(names = "--seed", description = "seed of the draws (default: a random one, printed on stderr)")
    Long seed;

    /** The flags, for refusing them where they do not apply. */
    static final String[] FLAGS = {"--prompt", "--length", "--temperature", "--top-k", "--top-p", "--seed"};

    /** Refuses settings no draw can use, in one line. */
    void validate() {
        if (length < 0) throw new UserError("--length must be >= 0, got " + length);
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new UserError("--temperature must be a finite number >= 0 (0: greedy), got " + temperature);
        }
        if (topK < 0) throw new UserError("--top-k must be >= 0 (0: no cut), got " + topK);
        if (!(topP > 0 && topP <= 1)) throw new UserError("--top-p must be in (0, 1], got " + topP);
    }

    /** True when every draw is the most likely token. */
    boolean greedy() {
        return temperature == 0 || topK == 1;
    }
}
