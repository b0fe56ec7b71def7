package dev.recur.engine.cli.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recur.engine.autodiff.Graph;
import dev.recur.engine.backend.CellMode;
import dev.recur.engine.backend.KernelProvider;
import dev.recur.engine.backend.Kernels;
import dev.recur.engine.cli.CliRun;
import dev.recur.engine.data.Rng;
import dev.recur.engine.data.Vocabulary;
import dev.recur.engine.io.SafeTensorsFile;
import dev.recur.engine.nn.SequenceTagger;
import dev.recur.engine.tensor.Tensor;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.stream.Stream;

import static dev.recur.engine.cli.CliRun.recur;
import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@code recur train --task chars} and {@code recur generate} on a small generated text: the
 * outputs, the vocabulary in the checkpoint, what generate prints, its seeds and greedy limits, and
 * that carrying the state step by step computes what re-reading the whole prefix computes.
 */
class CharsAndGenerateTest {
    @TempDir
    static Path shared;
    static Path text;
    static Path run;

    private static CliRun train(Path out, String... extra) {
        String[] base = {"train", "--task", "chars", "--text", text.toString(), "--seq", "16", "--hidden", "12",
                "--batch", "4", "--log-every", "5", "--eval-every", "10", "--out", out.toString()};
        return recur(Stream.concat(Arrays.stream(base), Arrays.stream(extra)).toArray(String[]::new));
    }

    private static CliRun generate(String... args) {
        String[] base = {"generate", "--checkpoint", run.resolve(Trainer.CHECKPOINT).toString()};
        return recur(Stream.concat(Arrays.stream(base), Arrays.stream(args)).toArray(String[]::new));
    }

    @BeforeAll
    static void trainOnce() throws Exception {
        StringBuilder sb = new StringBuilder();
        Rng rng = new Rng(3);
        String[] words = {"the", "cat", "sat", "on", "a", "mat", "dog", "ran", "fast", "über"};
        while (sb.length() < 4000) {
            sb.append(words[rng.nextInt(words.length)]).append(rng.nextInt(8) == 0 ? ".\n" : " ");
        }
        text = shared.resolve("corpus.txt");
        Files.writeString(text, sb);
        run = shared.resolve("run");
        CliRun r = train(run, "--steps", "10");
        assertThat(r.exit()).as(r.err()).isZero();
    }

    @Test
    void trainingWritesBitsPerCharAndTheVocabulary() throws Exception {
        assertThat(Files.readAllLines(run.resolve("metrics.csv")).getFirst())
                .startsWith("step,epoch,train_loss,val_loss,val_bits_per_char,");
        JsonNode json = new ObjectMapper().readTree(Files.readString(run.resolve("metrics.json")));
        assertThat(json.get("task").asText()).isEqualTo("chars");
        double valLoss = json.at("/final/val_loss").asDouble();
        assertThat(json.at("/final/val_bits_per_char").asDouble()).isCloseTo(valLoss / Math.log(2),
                org.assertj.core.api.Assertions.within(1e-9));
        Vocabulary expected = Vocabulary.fromText(Files.readString(text));
        assertThat(json.at("/final/uniform_bits_per_char").asDouble())
                .isCloseTo(Math.log(expected.size()) / Math.log(2), org.assertj.core.api.Assertions.within(1e-12));

        SafeTensorsFile ckpt = SafeTensorsFile.read(run.resolve(Trainer.CHECKPOINT));
        assertThat(ckpt.names()).contains("embedding.weight", "rnn.weight_ih_l0", "head.weight");
        assertThat(ckpt.metadata()).containsEntry("task.name", "chars")
                .containsEntry("model.head", "language_model")
                .containsEntry("model.vocabulary", Integer.toString(expected.size()));
        assertThat(CharsTask.decodeVocabulary(ckpt.metadata().get("task.vocabulary"))).isEqualTo(expected);
    }

    @Test
    void generatePrintsThePromptAndExactlyNCharacters() throws Exception {
        CliRun r = generate("--prompt", "the c", "--length", "57", "--seed", "7");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.err()).isEmpty();
        String printed = r.out().substring(0, r.out().length() - System.lineSeparator().length());
        assertThat(printed).startsWith("the c");
        String generated = printed.substring("the c".length());
        assertThat(generated.codePointCount(0, generated.length())).isEqualTo(57);
        Vocabulary vocabulary = Vocabulary.fromText(Files.readString(text));
        generated.codePoints().forEach(cp -> assertThat(vocabulary.id(cp)).isNotNegative());

        assertThat(generate("--prompt", "the c", "--length", "57", "--seed", "7").out()).isEqualTo(r.out());
        assertThat(generate("--prompt", "the c", "--length", "57", "--seed", "8").out()).isNotEqualTo(r.out());
        // recur predict on a character model samples as generate does.
        CliRun predict = CliRun.recur("predict", "--checkpoint", run.resolve(Trainer.CHECKPOINT).toString(), "--prompt", "the c",
                "--length", "57", "--seed", "7");
        assertThat(predict.exit()).as(predict.err()).isZero();
        assertThat(predict.out()).isEqualTo(r.out());
        // No prompt: starts after a newline, prints only the generated text; no seed: one is drawn and shown.
        CliRun free = generate("--length", "20");
        assertThat(free.exit()).isZero();
        assertThat(free.out().codePointCount(0, free.out().length())).isEqualTo(20 + System.lineSeparator().length());
        assertThat(free.err()).startsWith("recur generate: seed ");
    }

    @Test
    void topKOneIsGreedy() {
        String greedy = generate("--prompt", "a m", "--length", "40", "--temperature", "0").out();
        assertThat(generate("--prompt", "a m", "--length", "40", "--top-k", "1", "--temperature", "1.5", "--seed", "1").out())
                .isEqualTo(greedy);
        assertThat(generate("--prompt", "a m", "--length", "40", "--top-k", "1", "--seed", "99").out()).isEqualTo(greedy);
    }

    @Test
    void badInputIsOneLineAndExitTwo(@TempDir Path dir) {
        // A prompt's characters outside the vocabulary are left out, counted on standard error.
        CliRun unknown = generate("--prompt", "the €", "--length", "5", "--seed", "1");
        assertThat(unknown.exit()).as(unknown.err()).isZero();
        assertThat(unknown.err()).contains("1 of the prompt's characters are not in the model's vocabulary").contains("[€]")
                .hasLineCount(1);
        assertThat(unknown.out()).startsWith("the €");

        Path adding = dir.resolve("adding");
        assertThat(recur("train", "--seq", "4", "--hidden", "4", "--batch", "2", "--steps", "2", "--out", adding.toString())
                .exit()).isZero();
        CliRun notChars = recur("generate", "--checkpoint", adding.resolve(Trainer.CHECKPOINT).toString());
        assertThat(notChars.exit()).isEqualTo(2);
        assertThat(notChars.err()).contains("task 'adding', not a language model").hasLineCount(1);

        CliRun missing = recur("generate", "--checkpoint", dir.resolve("none.safetensors").toString());
        assertThat(missing.exit()).isEqualTo(2);
        assertThat(missing.err()).hasLineCount(1);
        assertThat(generate("--temperature", "-1").exit()).isEqualTo(2);

        CliRun noText = recur("train", "--task", "chars", "--out", dir.resolve("x").toString());
        assertThat(noText.exit()).isEqualTo(2);
        assertThat(noText.err()).contains("needs --text").hasLineCount(1);
        CliRun bidirectional = train(dir.resolve("y"), "--bidirectional", "--steps", "1");
        assertThat(bidirectional.exit()).isEqualTo(2);
        assertThat(bidirectional.err()).contains("--bidirectional").hasLineCount(1);
    }

    @Test
    void aResumedRunReproducesTheUninterruptedOne(@TempDir Path dir) throws Exception {
        Path whole = dir.resolve("whole"), split = dir.resolve("split");
        assertThat(train(whole, "--steps", "20").exit()).isZero();
        assertThat(train(split, "--steps", "10").exit()).isZero();
        assertThat(train(split, "--steps", "20", "--resume").exit()).isZero();
        assertThat(lossColumns(split)).isEqualTo(lossColumns(whole));
    }

    static java.util.List<String> lossColumns(Path run) throws Exception {
        return Files.readAllLines(run.resolve("metrics.csv")).stream()
                .map(line -> String.join(",", Arrays.copyOfRange(line.split(",", -1), 0, 6))).toList();
    }

    /** Greedy generation with the state carried one step at a time = argmax after re-reading the whole prefix. */
    @ParameterizedTest
    @EnumSource(value = CellMode.class, names = {"LSTM", "GRU", "RNN_TANH"})
    void carryingTheStateEqualsReReadingThePrefix(CellMode mode) {
        Kernels kernels = KernelProvider.defaultKernels();
        int vocabulary = 11;
        try (SequenceTagger model = new SequenceTagger(CharsTask.config(mode, 24, 2, false), vocabulary, vocabulary, 0f, 5)) {
            int[] prompt = {3, 1, 4, 1, 5};
            int[] carried = GenerateCommand.generate(model, kernels, prompt, 12, new TokenSampler(0, 0, new Rng(1))::next, id -> {
            });
            int[] sequence = Arrays.copyOf(prompt, prompt.length + carried.length);
            for (int s = 0; s < carried.length; s++) {
                int n = prompt.length + s;
                try (Graph g = Graph.inference(kernels)) {
                    Tensor logits = model.forward(g, Arrays.copyOf(sequence, n), n, 1, null).value(); // [n, 1, V]
                    sequence[n] = TokenSampler.argmax(logits.rows(n - 1, n).toArray());
                }
            }
            assertThat(carried).isEqualTo(Arrays.copyOfRange(sequence, prompt.length, sequence.length));
        }
    }
}
