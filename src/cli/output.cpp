#include "cli/output.h"

#include <cstdio>
#include <iostream>
#include <vector>

#include "cli/command.h"

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

Result<CheckpointPtr> loadForCommand(const std::string& path)
{
    static auto* keptUntilExit = new std::vector<CheckpointPtr>(); // deliberately never destroyed
    auto loaded = loadCheckpoint(path);
    if (loaded) keptUntilExit->push_back(loaded.value());
    return loaded;
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

} // namespace ckpt::cli
