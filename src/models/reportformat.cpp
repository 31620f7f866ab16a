#include "models/reportformat.h"

#include <QFileInfo>
#include <QSaveFile>

#include <nlohmann/json.hpp>

#include "models/formatting.h"

namespace ckpt::models
{

namespace
{

// A Markdown table cell: pipes and line breaks would end the cell or the row.
QString cell(QString text)
{
    text.replace(QLatin1Char('|'), QStringLiteral("\\|"));
    text.replace(QLatin1Char('\n'), QLatin1Char(' '));
    return text.isEmpty() ? QStringLiteral("-") : text;
}

QString row(const QStringList& cells)
{
    QStringList escaped;
    for (const QString& c : cells)
        escaped << cell(c);
    return QStringLiteral("| ") + escaped.join(QStringLiteral(" | ")) + QStringLiteral(" |\n");
}

QString header(const QStringList& cells)
{
    QString rule = QStringLiteral("|");
    for (int i = 0; i < cells.size(); ++i)
        rule += QStringLiteral("---|");
    return row(cells) + rule + QLatin1Char('\n');
}

QByteArray jsonBytes(const nlohmann::json& j)
{
    return QByteArray::fromStdString(j.dump(2) + "\n");
}

QString dtypeText(DType d)
{
    return d == DType::Unknown ? QString() : QString::fromLatin1(dtypeName(d));
}

} // namespace

ReportFormat reportFormatForPath(const QString& path)
{
    const QString suffix = QFileInfo(path).suffix().toLower();
    return suffix == QLatin1String("md") || suffix == QLatin1String("markdown") ? ReportFormat::Markdown
                                                                                : ReportFormat::Json;
}

QByteArray matchReportBytes(const MatchReport& report, const QString& file, ReportFormat format)
{
    if (format == ReportFormat::Json) {
        nlohmann::json j = report.toJson();
        j["file"] = file.toStdString();
        return jsonBytes(j);
    }
    QString md = QStringLiteral("# Match report\n\n");
    md += QStringLiteral("- File: `%1`\n- Architecture: %2\n- Result: %3\n\n")
              .arg(file, q(report.archName), q(report.summaryText()));
    md += header({QStringLiteral("Key"), QStringLiteral("Architecture key"), QStringLiteral("Status"),
                  QStringLiteral("Shape"), QStringLiteral("Expected shape"), QStringLiteral("Dtype")});
    for (const MatchEntry& e : report.entries)
        md += row({q(e.key), q(e.archKey), QString::fromLatin1(matchStatusName(e.status)),
                   e.key.empty() ? QString() : shapeText(e.shape),
                   e.archKey.empty() ? QString() : shapeText(e.archShape), dtypeText(e.dtype)});
    return md.toUtf8();
}

QByteArray diffReportBytes(const CheckpointDiff& diff, const QString& left, const QString& right, ReportFormat format)
{
    if (format == ReportFormat::Json) {
        nlohmann::json j = diff.toJson();
        j["left_file"] = left.toStdString();
        j["right_file"] = right.toStdString();
        return jsonBytes(j);
    }
    QString md = QStringLiteral("# Comparison report\n\n");
    md += QStringLiteral("- Left: `%1`\n- Right: `%2`\n- Result: %3\n- Values: %4\n\n")
              .arg(left, right, q(diff.summaryText()),
                   diff.valuesCompared ? QStringLiteral("compared byte by byte")
                                       : QStringLiteral("not compared (names, shapes, dtypes and locations only)"));
    md += header({QStringLiteral("Left"), QStringLiteral("Right"), QStringLiteral("Status"),
                  QStringLiteral("Left shape"), QStringLiteral("Right shape"), QStringLiteral("Largest |a-b|")});
    for (const DiffEntry& e : diff.entries) {
        QString largest;
        if (e.valuesCompared)
            largest = e.values.bitwiseEqual ? QStringLiteral("0 (bitwise equal)")
                      : e.values.numeric    ? QString::number(e.values.maxAbsDiff, 'g', 6)
                                            : QStringLiteral("differs");
        md += row({q(e.left), q(e.right), QString::fromLatin1(diffStatusName(e.status)),
                   e.left.empty() ? QString() : shapeText(e.leftShape),
                   e.right.empty() ? QString() : shapeText(e.rightShape), largest});
    }
    bool anyValue = false;
    for (const ValueDiffEntry& v : diff.plainValues) {
        if (v.status == DiffStatus::Equal) continue;
        if (!anyValue) {
            md += QStringLiteral("\n## Other values that differ\n\n");
            md += header(
                {QStringLiteral("Path"), QStringLiteral("Status"), QStringLiteral("Left"), QStringLiteral("Right")});
            anyValue = true;
        }
        md += row({q(v.path), QString::fromLatin1(diffStatusName(v.status)), q(v.left), q(v.right)});
    }
    return md.toUtf8();
}

bool saveReportFile(const QString& path, const QByteArray& bytes, QString* error)
{
    QSaveFile file(path);
    if (!file.open(QIODevice::WriteOnly) || file.write(bytes) != bytes.size() || !file.commit()) {
        if (error) *error = QStringLiteral("%1: %2").arg(path, file.errorString());
        return false;
    }
    return true;
}

} // namespace ckpt::models
