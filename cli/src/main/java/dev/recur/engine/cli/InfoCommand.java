package dev.recur.engine.cli;

import dev.recur.engine.backend.KernelProvider;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import picocli.CommandLine.Command;

/** What this machine offers Recur. */
@Command(name = "info", mixinStandardHelpOptions = true, description = "JDK, vector species and width, cores, kernels, CUDA availability.")
public final class InfoCommand implements Runnable {
    @Override
    public void run() {
        VectorSpecies<Float> s = FloatVector.SPECIES_PREFERRED;
        System.out.printf("jdk            %s (%s)%n", Runtime.version(), System.getProperty("java.vendor"));
        System.out.printf("os/arch        %s %s%n", System.getProperty("os.name"), System.getProperty("os.arch"));
        System.out.printf("cores          %d%n", Runtime.getRuntime().availableProcessors());
        System.out.printf("vector species %s: %d bits, %d float lanes%n", s, s.vectorBitSize(), s.length());
        System.out.printf("kernels        %s (override with --kernels or -D%s=naive)%n",
                KernelProvider.defaultKernels().name(), KernelProvider.PROPERTY);
        dev.recur.bindings.CudaAvailability.Status cuda = dev.recur.engine.backend.cuda.CudaSession.availability();
        System.out.printf("cuda usable    %s (%s)%n", cuda.usable(), cuda.usable()
                ? cuda.line() + "; recur infer, train and bench take --device cuda, other commands run on the CPU" : cuda.line());
    }
}
