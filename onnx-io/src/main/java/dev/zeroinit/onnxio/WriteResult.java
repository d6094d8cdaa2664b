package dev.zeroinit.onnxio;

import java.nio.file.Path;
import java.util.List;

/**
 * What the writer produced: the model file, the external data files, bytes written in all, the layout
 * used, and notes for the user (for example a switch to external data above the 2 GB limit).
 */
public record WriteResult(Path model, List<Path> dataFiles, long bytesWritten,
    ExternalDataLayout layout, List<String> notes) { }
