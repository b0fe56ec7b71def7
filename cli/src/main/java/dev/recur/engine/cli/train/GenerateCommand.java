package dev.recur.engine.cli.train;

import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.autodiff.Var;
import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.cli.KernelsOption;
import dev.recur.engine.cli.ThreadsOption;
import dev.recur.engine.cli.UserError;
import dev.recur.engine.data.Rng;
import dev.recur.engine.data.Vocabulary;
import dev.recur.engine.data.WordTokenizer;
import dev.recur.engine.data.WordVocabulary;
import dev.recur.engine.nn.RecurrentConfig;
import dev.recur.engine.nn.SequenceTagger;
import dev.recur.engine.tensor.Tensor;
import dev.recur.engine.train.Checkpoint;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/**
 * {@code recur generate}: samples text from a {@code --task chars} or {@code --task words}
 * checkpoint. The model is rebuilt from the checkpoint's {@code model.*} metadata and its
 * vocabulary from {@code task.vocabulary}; the prompt runs through the network once, then each new
 * token is drawn from the last step's logits ({@link TokenSampler}: top-k, temperature, top-p) and
 * fed back one step at a time, the recurrent state (h, and c for an LSTM) carried from step to
 * step. Prints the prompt followed by the generated characters (as they are drawn) or words
 * (joined by {@link WordTokenizer#join}). A word model never draws {@code <unk>}; prompt words
 * outside its vocabulary become {@code <unk>}, counted on standard error.
 */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Sample text from a character or word model trained with recur train --task chars or words.")
public final class GenerateCommand implements Callable<Integer> {
    @Option(names = "--checkpoint", required = true, paramLabel = "FILE", description = "checkpoint.safetensors of a chars run")
    Path checkpoint;
    @Mixin
    SamplingOptions sampling = new SamplingOptions();
    @Mixin
    ThreadsOption threads = new ThreadsOption();
    @Mixin
    KernelsOption kernels = new KernelsOption();
    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws IOException {
        sampling.validate();
        threads.apply();
        Kernels k = kernels.kernels();
        Checkpoint saved = Checkpoint.read(checkpoint);
        String task = saved.task().get("name");
        boolean words = "words".equals(task);
        if (!("chars".equals(task) || words) || saved.task().get("vocabulary") == null) {
            throw new UserError(checkpoint + ": is a checkpoint of " + (task == null ? "no task" : "task '" + task + "'")
                    + ", not a language model: train one with recur train --task chars or words --text FILE");
        }
        long drawSeed = sampling.seed != null ? sampling.seed : new java.security.SecureRandom().nextLong();
        TokenSampler sampler = new TokenSampler(sampling.temperature, sampling.topK, sampling.topP, new Rng(drawSeed));
        PrintWriter out = spec.commandLine().getOut();
        if (words) return generateWords(saved, k, sampler, drawSeed, out);
        Vocabulary vocabulary;
        try {
            vocabulary = CharsTask.decodeVocabulary(saved.task().get("vocabulary"));
        } catch (IllegalArgumentException e) {
            throw new UserError(checkpoint + ": task.vocabulary is malformed: " + e.getMessage());
        }
        int[] promptIds = promptIds(vocabulary);
        showSeed(drawSeed);
        try (SequenceTagger model = rebuild(saved, vocabulary.size())) {
            Checkpoint.loadParameters(checkpoint, model.parameters());
            out.print(sampling.prompt);
            out.flush();
            generate(model, k, promptIds, sampling.length, sampler::next, id -> {
                out.print(Character.toChars(vocabulary.codePoint(id)));
                out.flush();
            });
            out.println();
            out.flush();
        }
        return 0;
    }

    /** A word model: the prompt's words (unknown ones as {@code <unk>}, counted), then {@code --length} words. */
    private int generateWords(Checkpoint saved, Kernels k, TokenSampler sampler, long drawSeed, PrintWriter out)
            throws IOException {
        WordVocabulary vocabulary;
        try {
            vocabulary = WordsTask.decodeVocabulary(saved.task().get("vocabulary"));
        } catch (IllegalArgumentException e) {
            throw new UserError(checkpoint + ": task.vocabulary is malformed: " + e.getMessage());
        }
        List<String> promptTokens = WordTokenizer.tokens(sampling.prompt);
        if (promptTokens.isEmpty()) {
            if (!vocabulary.contains(WordTokenizer.NEWLINE)) {
                throw new UserError("--prompt is needed: the model's vocabulary has no newline to start from");
            }
            promptTokens = List.of(WordTokenizer.NEWLINE);
        }
        WordVocabulary.Encoded encoded = vocabulary.encode(promptTokens);
        if (encoded.unknown() > 0) {
            spec.commandLine().getErr().println("recur generate: " + encoded.unknown() + " of the prompt's "
                    + promptTokens.size() + " words are not in the model's vocabulary and read as " + WordVocabulary.UNKNOWN
                    + ": " + promptTokens.stream().filter(w -> !vocabulary.contains(w)).distinct().limit(5).toList());
        }
        showSeed(drawSeed);
        List<String> text = new java.util.ArrayList<>(sampling.prompt.isEmpty() ? List.of() : promptTokens);
        try (SequenceTagger model = rebuild(saved, vocabulary.size())) {
            Checkpoint.loadParameters(checkpoint, model.parameters());
            TokenSampler neverUnknown = sampler;
            generate(model, k, encoded.ids(), sampling.length, logits -> {
                logits[0] = Float.NEGATIVE_INFINITY;   // <unk> is not a word to write
                return neverUnknown.next(logits);
            }, id -> text.add(vocabulary.word(id)));
        }
        out.println(WordTokenizer.join(text));
        out.flush();
        return 0;
    }

    /** A drawn seed goes to standard error, so that a sample can be drawn again (none when the draws are greedy). */
    private void showSeed(long drawSeed) {
        if (sampling.seed == null && !sampling.greedy()) spec.commandLine().getErr().println("recur generate: seed " + drawSeed);
    }

    /**
     * The prompt's ids: its characters outside the vocabulary are left out (counted on standard
     * error); an empty prompt starts after a newline (when the vocabulary has one).
     */
    private int[] promptIds(Vocabulary vocabulary) {
        if (!sampling.prompt.isEmpty()) {
            Vocabulary.Known known = vocabulary.encodeKnown(sampling.prompt);
            if (known.leftOut() > 0) {
                spec.commandLine().getErr().println("recur generate: " + known.leftOut() + " of the prompt's characters are "
                        + "not in the model's vocabulary and were left out: " + known.unknownCharacters());
            }
            if (known.ids().length > 0) return known.ids();
        }
        int newline = vocabulary.id('\n');
        if (newline < 0) throw new UserError("--prompt is needed: the model's vocabulary has no newline to start from");
        return new int[]{newline};
    }

    /** The model the checkpoint describes, with fresh parameters; refuses anything but a chars language model. */
    static SequenceTagger rebuild(Checkpoint saved, int vocabulary) throws IOException {
        Map<String, String> m = saved.modelConfig();
        CellMode mode;
        try {
            mode = CellMode.parse(m.getOrDefault("cell", ""));
        } catch (IllegalArgumentException e) {
            throw new UserError(saved.path() + ": model.cell '" + m.get("cell") + "' is not a recurrent cell");
        }
        RecurrentConfig rnn = RecurrentConfig.of(mode, intKey(saved, "input"), intKey(saved, "hidden"))
                .withLayers(intKey(saved, "layers")).withProjSize(intKey(saved, "proj_size"));
        saved.requireModelConfig(CharsTask.modelConfig(rnn, vocabulary));
        return new SequenceTagger(rnn, vocabulary, vocabulary, 0f, 0);
    }

    private static int intKey(Checkpoint saved, String key) {
        String v = saved.modelConfig().get(key);
        try {
            return Integer.parseInt(v);
        } catch (NumberFormatException e) {
            throw new UserError(saved.path() + ": model." + key + " is " + (v == null ? "missing" : "'" + v + "'")
                    + ", expected a whole number");
        }
    }

    /** Picks the next token id from a step's logits (which it may change). */
    interface TokenChooser {
        int next(float[] logits);
    }

    /** Receives each generated token id as it is drawn. */
    interface TokenSink {
        void accept(int id);
    }

    /**
     * Runs the prompt (ids, at least one) through the model, then draws {@code length} tokens, each
     * fed back as the next step's input with the state carried over; returns the drawn ids. One
     * inference graph per step: the state is copied out of the closing graph and into the next.
     */
    static int[] generate(SequenceTagger model, Kernels kernels, int[] prompt, int length, TokenChooser sampler,
                          TokenSink sink) {
        int[] drawn = new int[length];
        int[] input = prompt;
        float[] h = null, c = null;
        int[] hShape = null, cShape = null;
        for (int s = 0; s < length; s++) {
            float[] logits;
            try (Graph g = Graph.inference(kernels)) {
                Var h0 = h == null ? null : g.constant(g.arena().of(h, hShape));
                Var c0 = c == null ? null : g.constant(g.arena().of(c, cShape));
                SequenceTagger.StatefulOutput o = model.forward(g, input, input.length, 1, h0, c0);
                Tensor all = o.logits().value(); // [T, 1, V]
                logits = all.rows(input.length - 1, input.length).toArray();
                h = o.hN().value().toArray();
                hShape = o.hN().value().shape();
                if (o.cN() != null) {
                    c = o.cN().value().toArray();
                    cShape = o.cN().value().shape();
                }
            }
            int next = sampler.next(logits);
            drawn[s] = next;
            sink.accept(next);
            input = new int[]{next};
        }
        return drawn;
    }
}
