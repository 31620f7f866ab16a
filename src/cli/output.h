#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "core/format/loader.h"
#include "core/result.h"

namespace ckpt::cli
{

// Prints "ckpt: <file>: <cause>" on stderr and returns ExitFailure. Never a stack trace.
int reportError(const std::string& file, const Error& error);
// Prints a usage problem on stderr and returns ExitUsage.
int reportUsage(const std::string& message);
// Pretty JSON on stdout (2-space indent, UTF-8 kept).
void printJson(const nlohmann::json& json);
// Loads a checkpoint for a command that ends the process soon after: the document is kept until exit,
// because freeing a graph of half a million values costs more than the OS reclaiming the pages at once.
Result<CheckpointPtr> loadForCommand(const std::string& path);
// A distributed directory with missing, truncated or damaged files: prints "ckpt: DIR: FILE: what" on stderr
// for each (what is intact is still shown by the command) and remembers it for the exit code. True if any.
bool reportDirectoryProblems(const Checkpoint& doc);
// Whether any input had such problems: main() then exits 1 where the command would have exited 0.
bool incompleteInputSeen();
// "1.2 MB", "47.0 MB", "1.07 GB" (decimal units, as file managers show).
std::string humanBytes(uint64_t bytes);
// A measured value in six significant digits ("%.6g": 0.000123457, 1.5e+10, nan, inf).
std::string shortNumber(double value);

} // namespace ckpt::cli
