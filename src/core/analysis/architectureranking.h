#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/analysis/architecturespec.h"
#include "core/model/checkpoint.h"

namespace ckpt
{

// How well one architecture fits the main state dict of a file, after the common wrapper prefix is removed.
struct ArchitectureFit {
    std::string name;         // catalog name ("resnet18")
    double fit = 0.0;         // shapesMatched / |file keys ∪ architecture keys|: 1.0 is a perfect fit
    size_t keysMatched = 0;   // architecture keys present in the file
    size_t shapesMatched = 0; // ... with the same shape
    size_t archKeys = 0;
    size_t fileKeys = 0;
    std::string hint; // where the file names this architecture ("args.arch"), or ""
};

// Names the file gives for its own architecture: string values at keys such as `arch`, `model_name` or
// `backbone`, under `args`, `hparams`, `hyper_parameters` or at the top level, as "path=value" pairs.
std::vector<std::pair<std::string, std::string>> architectureHints(const Checkpoint& doc);

// The built-in catalog ranked for this file, best first: by fit, and a named hint counts for a tenth of a
// perfect fit, so it decides between near-equals but never lifts a clearly worse fit over a better one.
// Empty when the file has no main state dict. `candidates` replaces the catalog (tests, other callers).
std::vector<ArchitectureFit> rankArchitectures(const Checkpoint& doc);
std::vector<ArchitectureFit> rankArchitectures(const Checkpoint& doc, const std::vector<ArchitectureSpec>& candidates);

// The score the ranking sorts by (fit plus the hint's share).
double rankingScore(const ArchitectureFit& fit);

} // namespace ckpt
