#include "cli/output.h"

#include <cstdio>
#include <iostream>
#include <vector>

#include "cli/command.h"
#include "core/distributed/layout.h"

namespace ckpt::cli
{

int reportError(const std::string& file, const Error& error)
{
    std::cerr << "ckpt: " << error.describe(file) << "\n";
    return ExitFailure;
}

int reportUsage(const std::string& message)
{
    std::cerr << "ckpt: " << message << "\n";
    return ExitUsage;
}

void printJson(const nlohmann::json& json)
{
    std::cout << json.dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

namespace
{
bool g_incompleteInput = false;
}

Result<CheckpointPtr> loadForCommand(const std::string& path)
{
    static auto* keptUntilExit = new std::vector<CheckpointPtr>(); // deliberately never destroyed
    auto loaded = loadCheckpoint(path);
    if (loaded) keptUntilExit->push_back(loaded.value());
    if (loaded) reportDirectoryProblems(*loaded.value());
    return loaded;
}

bool reportDirectoryProblems(const Checkpoint& doc)
{
    if (!doc.distributed || doc.distributed->problems.empty()) return false;
    for (const distributed::DirectoryProblem& problem : doc.distributed->problems)
        std::cerr << "ckpt: " << doc.file << ": " << problem.file << ": " << problem.what << "\n";
    g_incompleteInput = true;
    return true;
}

bool incompleteInputSeen()
{
    return g_incompleteInput;
}

std::string humanBytes(uint64_t bytes)
{
    const char* units[] = {"B", "kB", "MB", "GB", "TB"};
    double value = static_cast<double>(bytes);
    int unit = 0;
    while (value >= 1000.0 && unit < 4) {
        value /= 1000.0;
        ++unit;
    }
    char text[32];
    if (unit == 0)
        std::snprintf(text, sizeof text, "%llu B", static_cast<unsigned long long>(bytes));
    else
        std::snprintf(text, sizeof text, "%.1f %s", value, units[unit]);
    return text;
}

std::string shortNumber(double value)
{
    char text[32];
    std::snprintf(text, sizeof text, "%.6g", value);
    return text;
}

} // namespace ckpt::cli
