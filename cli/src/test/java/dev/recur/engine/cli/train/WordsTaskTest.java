package dev.recur.engine.cli.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.recur.engine.cli.CliRun;
import dev.recur.engine.data.Rng;
import dev.recur.engine.data.WordTokenizer;
import dev.recur.engine.data.WordVocabulary;
import dev.recur.engine.io.SafeTensorsFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;

import static dev.recur.engine.cli.CliRun.recur;
import static org.assertj.core.api.Assertions.assertThat;

/** {@code recur train --task words} end to end on a small generated text: outputs, embeddings, generate, predict, eval. */
class WordsTaskTest {
    private static final String[] WORDS = {"the", "cat", "sat", "on", "a", "mat", "and", "dog", "ran", "far", "away", "home"};

    private static Path text(Path dir, String name, int words, long seed) throws Exception {
        Rng rng = new Rng(seed);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < words; i++) {
            sb.append(WORDS[rng.nextInt(WORDS.length)]).append(rng.nextInt(7) == 0 ? ".\n" : rng.nextInt(5) == 0 ? ", " : " ");
        }
        return Files.writeString(dir.resolve(name), sb);
    }

    private static CliRun train(Path text, Path out, String... extra) {
        List<String> args = new java.util.ArrayList<>(List.of("train", "--task", "words", "--text", text.toString(),
                "--seq", "8", "--hidden", "8", "--batch", "4", "--steps", "4", "--eval-every", "2", "--out", out.toString()));
        args.addAll(List.of(extra));
        return recur(args.toArray(String[]::new));
    }

    @Test
    void trainsGeneratesPredictsAndEvaluatesOnNewText(@TempDir Path dir) throws Exception {
        Path corpus = text(dir, "corpus.txt", 3000, 1), out = dir.resolve("run");
        CliRun run = train(corpus, out, "--vocab", "16", "--embedding-size", "6");
        assertThat(run.exit()).as(run.err()).isZero();
        assertThat(run.out()).contains("vocabulary 16 (with <unk>)");   // 12 words, 3 marks
        JsonNode json = new ObjectMapper().readTree(Files.readString(out.resolve("metrics.json")));
        assertThat(json.at("/final/val_perplexity").asDouble()).isGreaterThan(1);
        assertThat(json.at("/final/unigram_val_perplexity").asDouble()).isBetween(5.0, 20.0);
        SafeTensorsFile ckpt = SafeTensorsFile.read(out.resolve(Trainer.CHECKPOINT));
        assertThat(ckpt.shape("embedding.weight")).containsExactly(16, 6);
        WordVocabulary vocabulary = WordsTask.decodeVocabulary(ckpt.metadata().get("task.vocabulary"));
        assertThat(vocabulary.size()).isEqualTo(16);
        assertThat(vocabulary.word(0)).isEqualTo(WordVocabulary.UNKNOWN);

        Path checkpoint = out.resolve(Trainer.CHECKPOINT);
        CliRun generated = recur("generate", "--checkpoint", checkpoint.toString(), "--prompt", "the zebra sat",
                "--length", "30", "--seed", "3", "--top-p", "0.9");
        assertThat(generated.exit()).as(generated.err()).isZero();
        assertThat(generated.err()).contains("1 of the prompt's 3 words are not in the model's vocabulary").contains("zebra");
        String printed = generated.out().substring(0, generated.out().length() - System.lineSeparator().length());
        List<String> tokens = WordTokenizer.tokens(printed);
        assertThat(tokens.subList(0, 3)).containsExactly("the", "zebra", "sat");
        assertThat(tokens).hasSize(3 + 30);
        tokens.subList(3, tokens.size()).forEach(t -> assertThat(vocabulary.contains(t) && !t.equals(WordVocabulary.UNKNOWN))
                .as(t).isTrue());
        CliRun predicted = recur("predict", "--checkpoint", checkpoint.toString(), "--prompt", "the zebra sat",
                "--length", "30", "--seed", "3", "--top-p", "0.9");
        assertThat(predicted.out()).isEqualTo(generated.out());

        Path other = Files.writeString(dir.resolve("other.txt"), Files.readString(text(dir, "more.txt", 800, 2))
                .replace("cat", "emu"));
        CliRun eval = recur("eval", "--checkpoint", checkpoint.toString(), "--text", other.toString());
        assertThat(eval.exit()).as(eval.err()).isZero();
        assertThat(eval.out()).containsPattern("[1-9][0-9]* of its [0-9]+ words are not in the model's vocabulary")
                .contains("val_perplexity");
    }

    /** Pretrained vectors: found words start from them (and stay, frozen), missing ones start random and are counted. */
    @Test
    void pretrainedEmbeddingsLoadAndFreeze(@TempDir Path dir) throws Exception {
        Path corpus = text(dir, "corpus.txt", 3000, 1);
        StringBuilder glove = new StringBuilder();
        for (String w : new String[]{"the", "cat", "mat", "unused"}) {
            glove.append(w);
            for (int j = 0; j < 5; j++) glove.append(' ').append(String.format(Locale.ROOT, "%.3f", (w.length() + j) / 10.0));
            glove.append('\n');
        }
        Path vectors = Files.writeString(dir.resolve("glove.txt"), glove);
        Path out = dir.resolve("frozen");
        CliRun run = train(corpus, out, "--embeddings", vectors.toString(), "--freeze-embeddings");
        assertThat(run.exit()).as(run.err()).isZero();
        WordVocabulary vocabulary = WordsTask.decodeVocabulary(
                SafeTensorsFile.read(out.resolve(Trainer.CHECKPOINT)).metadata().get("task.vocabulary"));
        assertThat(run.out()).contains("vectors for 3 of " + vocabulary.size() + " words; " + (vocabulary.size() - 3)
                + " start random; frozen");
        double[] table = SafeTensorsFile.read(out.resolve(Trainer.LAST_CHECKPOINT)).readDoubles("embedding.weight");
        int cat = vocabulary.id("cat");
        for (int j = 0; j < 5; j++) assertThat(table[cat * 5 + j]).isEqualTo((float) ((3 + j) / 10.0));

        Path trained = dir.resolve("trained");
        assertThat(train(corpus, trained, "--embeddings", vectors.toString()).exit()).isZero();
        double[] moved = SafeTensorsFile.read(trained.resolve(Trainer.LAST_CHECKPOINT)).readDoubles("embedding.weight");
        assertThat(moved[cat * 5]).isNotEqualTo((float) 0.3);

        CliRun noFile = train(corpus, dir.resolve("x"), "--freeze-embeddings");
        assertThat(noFile.exit()).isEqualTo(2);
        assertThat(noFile.err()).contains("--freeze-embeddings needs --embeddings FILE").hasLineCount(1);
        CliRun width = train(corpus, dir.resolve("x"), "--embeddings", vectors.toString(), "--embedding-size", "7");
        assertThat(width.exit()).isEqualTo(2);
        assertThat(width.err()).contains("--embedding-size 7 differs from the width of --embeddings (5)").hasLineCount(1);
        CliRun notWords = recur("train", "--vocab", "16", "--out", dir.resolve("x").toString());
        assertThat(notWords.exit()).isEqualTo(2);
        assertThat(notWords.err()).contains("--vocab does not apply to --task adding").hasLineCount(1);
        assertThat(dir.resolve("x")).doesNotExist();
    }
}
