#pragma once

#include <QByteArray>
#include <QString>

#include "core/analysis/checkpointdiff.h"
#include "core/analysis/matchreport.h"

namespace ckpt::models
{

// How a saved report is written: JSON (the same document `ckpt match --json` / `ckpt diff --json` print) or a
// Markdown summary and table for a pull request or an issue. Chosen by the file name: ".md" is Markdown.
enum class ReportFormat { Json, Markdown };

ReportFormat reportFormatForPath(const QString& path);

// The match report of `file` against its architecture: the summary line, then one table row per key.
QByteArray matchReportBytes(const MatchReport& report, const QString& file, ReportFormat format);
// The comparison of two files: the summary line, then one row per tensor (with the largest difference when
// values were compared) and per differing plain value.
QByteArray diffReportBytes(const CheckpointDiff& diff, const QString& left, const QString& right, ReportFormat format);

// Writes `bytes` to `path` atomically (a temporary file beside it, then a rename); false with `error` set
// when it cannot, and the previous file, if any, is left as it was.
bool saveReportFile(const QString& path, const QByteArray& bytes, QString* error);

} // namespace ckpt::models
