#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <string>

#include <nlohmann/json.hpp>

// Shared by the hardening tests: the committed hostile corpus and limit inputs (tests/hostile), and running the
// CLI as a child under a memory and a time cap.
namespace ckpt::test
{

std::string hostileDir();                                  // <source>/tests/hostile
nlohmann::json hostileManifest(const std::string& folder); // folder: "corpus" or "limits"

// True when this binary was built with AddressSanitizer, which needs terabytes of address space for its shadow
// memory, so `ulimit -v` cannot be applied to sanitized children.
bool builtWithAddressSanitizer();

struct ChildResult {
    int exitCode = -1;
    bool crashed = false;  // killed by a signal (segfault, abort, the memory cap's SIGKILL)
    bool timedOut = false; // still running at the time cap; it was killed
    qint64 elapsedMs = 0;
    QByteArray out;      // the first MiB of stdout (all of it goes to a temporary file, so a runaway
    qint64 outBytes = 0; // writer cannot exhaust the test's memory); outBytes counts everything
    QByteArray err;
};

// Runs `program args` through /bin/sh with `ulimit -v memoryMiB` (skipped when 0 or under ASan) and kills it after
// timeoutMs. `workDir` and extra environment entries ("NAME=value") are optional.
ChildResult runCapped(const QString& program, const QStringList& args, int memoryMiB, int timeoutMs,
                      const QString& workDir = {}, const QStringList& env = {});

} // namespace ckpt::test
