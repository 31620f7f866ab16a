#pragma once

#include <QByteArray>
#include <QString>
#include <QStringList>

#include <nlohmann/json.hpp>

#include "support/runprocess.h"

// Helpers of the match/diff tests: fixture paths from the generated manifest, the truth files, and runs of
// the Python oracle and of the ckpt binary.
namespace matchdiff
{

// Absolute path of a generated fixture by its manifest name ("resnet18_dp"); empty if it is not there.
QString fixture(const QString& name);
// The fixture's <name>.truth.json, or null JSON.
nlohmann::json truth(const QString& name);
// Keys of the truth's first weight set, in order.
std::vector<std::string> truthKeys(const QString& name);

using ProcessResult = ckpt::test::ByteRun;
// Runs `code` in the Python oracle (support/runprocess.h); waits up to `timeoutMs`.
ProcessResult runPython(const QString& code, int timeoutMs = 120000);
// Runs the ckpt binary under test.
ProcessResult runCkpt(const QStringList& arguments, int timeoutMs = 120000);

} // namespace matchdiff
