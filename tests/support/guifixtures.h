#pragma once

#include <QString>
#include <QStringList>

#include <nlohmann/json.hpp>

#include "core/format/loader.h"

// Fixture access for the GUI tests (models/, app/): paths in the generated fixture folder, and loading.
namespace ckpt::testing
{

QString guiFixture(const QString& file);           // <fixture dir>/<file>
CheckpointPtr loadGuiFixture(const QString& file); // nullptr (and a warning) when it does not load
// <fixture dir>/<name>.truth.json, parsed (null when missing).
nlohmann::json guiTruth(const QString& name);
// Runs `code` in the Python oracle (support/runprocess.h); returns its exit code, stderr then stdout in *output.
int runPython(const QString& code, const QStringList& args, QString* output = nullptr, int timeoutMs = 120000);

} // namespace ckpt::testing
