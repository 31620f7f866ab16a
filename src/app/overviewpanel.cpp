#include "app/overviewpanel.h"

#include <algorithm>
#include <map>

#include <QEvent>
#include <QLabel>
#include <QScrollArea>
#include <QVBoxLayout>
#include <QtCharts/QBarCategoryAxis>
#include <QtCharts/QBarSet>
#include <QtCharts/QChartView>
#include <QtCharts/QHorizontalBarSeries>
#include <QtCharts/QValueAxis>

#include "app/directorybanner.h"
#include "app/documentfacts.h"
#include "core/model/checkpointjson.h"
#include "models/formatting.h"
#include "models/statuscolors.h"

namespace ckpt::app
{

namespace
{

using models::q;

// Buffers a state dict carries besides parameters (batch norm statistics); a state dict does not say which
// tensors were nn.Parameters, so this is how the overview tells them apart there.
bool looksLikeBuffer(const std::string& key)
{
    for (const char* suffix : {"running_mean", "running_var", "num_batches_tracked"}) {
        const size_t n = std::char_traits<char>::length(suffix);
        if (key.size() >= n && key.compare(key.size() - n, n, suffix) == 0) return true;
    }
    return false;
}

constexpr int kMaxBars = 8;      // the largest modules; the rest are summed as "other"
constexpr int kMaxBarLabel = 20; // characters of a module name beside its bar; longer ones end in "…"
// The chart's height: its axis and title, then enough per bar for a readable label beside each.
constexpr int kChartAxesHeight = 70;
constexpr int kChartBarHeight = 22;

} // namespace

OverviewPanel::OverviewPanel(QWidget* parent) : QWidget(parent)
{
    setObjectName(QStringLiteral("overviewPanel"));
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    // The facts and the chart scroll together: in a short pane (1024x700) neither is squeezed; the facts keep
    // their full height and the chart a readable height per bar, and the pane scrolls instead.
    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    scroll->setHorizontalScrollBarPolicy(Qt::ScrollBarAlwaysOff);
    auto* body = new QWidget(scroll);
    auto* layout = new QVBoxLayout(body);
    layout->setContentsMargins(6, 0, 6, 0);
    m_facts = new QLabel(body);
    m_facts->setWordWrap(true);
    m_facts->setTextFormat(Qt::RichText);
    m_facts->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_facts->setAlignment(Qt::AlignTop | Qt::AlignLeft);
    m_chart = new QChartView(body);
    m_chart->setRenderHint(QPainter::Antialiasing);
    m_chart->chart()->legend()->hide();
    m_chart->chart()->setMargins(QMargins(2, 2, 2, 2));
    m_chart->chart()->setBackgroundRoundness(0);
    m_chart->hide();
    layout->addWidget(m_facts);
    layout->addWidget(m_chart);
    layout->addStretch();
    scroll->setWidget(body);
    outer->addWidget(scroll);
}

QString OverviewPanel::text() const
{
    return m_facts->text();
}

int OverviewPanel::chartBars() const
{
    return m_chart->isHidden() ? 0 : m_bars;
}

void OverviewPanel::changeEvent(QEvent* event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::PaletteChange && m_doc) setDocument(m_doc);
}

void OverviewPanel::setDocument(CheckpointPtr doc)
{
    m_doc = doc;
    m_chart->chart()->removeAllSeries();
    for (QAbstractAxis* axis : m_chart->chart()->axes())
        m_chart->chart()->removeAxis(axis);
    m_chart->hide();
    m_bars = 0;
    if (!doc) {
        m_facts->clear();
        return;
    }
    const Checkpoint& d = *doc;
    std::map<std::string, std::pair<uint64_t, uint64_t>> dtypes; // name -> (tensors, bytes)
    std::map<std::string, uint64_t> locations;
    uint64_t tensors = 0, bytes = 0, parameters = 0, buffers = 0;
    for (const TensorInfo& t : d.tensors) {
        if (t.component) continue;
        ++tensors;
        bytes += t.nbytes;
        auto& dt = dtypes[std::string(dtypeName(t.dtype))];
        ++dt.first;
        dt.second += t.nbytes;
        ++locations[t.location];
        parameters += t.parameter ? 1 : 0;
    }
    // Bytes per top-level module of the main state dict, after the wrapper prefix.
    const std::string prefix = commonWrapperPrefix(d);
    std::map<std::string, uint64_t> modules;
    if (const WeightSet* set = d.mainWeightSet()) {
        for (const WeightEntry& e : set->entries) {
            if (e.tensor < 0 || size_t(e.tensor) >= d.tensors.size()) continue;
            const std::string key = e.key.substr(std::min(prefix.size(), e.key.size()));
            buffers += looksLikeBuffer(key) ? 1 : 0;
            modules[key.substr(0, key.find('.'))] += d.tensors[size_t(e.tensor)].nbytes;
        }
    }

    auto row = [](const QString& label, const QString& value) {
        return QStringLiteral("<tr><td><b>%1</b>&nbsp;</td><td>%2</td></tr>").arg(label.toHtmlEscaped(), value);
    };
    QStringList dtypeParts, locationParts;
    for (const auto& [name, counts] : dtypes)
        dtypeParts << tr("%1: %2 tensors, %3")
                          .arg(q(name).toHtmlEscaped())
                          .arg(counts.first)
                          .arg(models::humanBytes(counts.second));
    for (const auto& [where, count] : locations)
        locationParts << tr("%1 \u00d7%2").arg(q(where.empty() ? std::string("-") : where).toHtmlEscaped()).arg(count);
    const Severity verdict = d.verdict();
    const QString verdictText = verdict == Severity::Dangerous
                                    ? QStringLiteral("<span style='color:%1'><b>%2</b></span>")
                                          .arg(models::StatusColors::dangerColor(palette()).name(),
                                               tr("dangerous: imports code torch.load would run"))
                                : verdict == Severity::Unknown ? tr("unknown imports: review before torch.load")
                                                               : tr("safe: only known PyTorch rebuild functions");
    QString kindsText;
    if (parameters > 0)
        kindsText = tr("%1 nn.Parameter, %2 other tensors").arg(parameters).arg(tensors - parameters);
    else if (d.mainWeightSet())
        kindsText = tr("%1 parameters, %2 buffers (running statistics)")
                        .arg(d.mainWeightSet()->entries.size() - buffers)
                        .arg(buffers);
    QString html = QStringLiteral("<table>");
    html += row(tr("Format"), QString::fromLatin1(formatName(d.format)));
    html += row(tr("Kind"), QString::fromLatin1(kindName(d.kind)));
    if (d.distributed) html += row(tr("Directory"), distributedHeadline(d).toHtmlEscaped());
    html += row(tr("Size on disk"), models::humanBytes(bytesOnDisk(d)));
    html += row(
        tr("Tensors"),
        tr("%1 (%2), %3 elements").arg(tensors).arg(models::humanBytes(bytes), models::countText(d.parameterCount())));
    if (!kindsText.isEmpty()) html += row(tr("Of which"), kindsText);
    html += row(tr("Dtypes"), dtypeParts.isEmpty() ? QStringLiteral("-") : dtypeParts.join(QStringLiteral("<br>")));
    html +=
        row(tr("Locations"), locationParts.isEmpty() ? QStringLiteral("-") : locationParts.join(QStringLiteral(", ")));
    html += row(tr("Wrapper"), prefix.empty() ? tr("none") : tr("`%1` on every key").arg(q(prefix).toHtmlEscaped()));
    html += row(tr("Security"), verdictText);
    html += QStringLiteral("</table>");
    m_facts->setText(html);

    if (modules.size() < 2) return;
    std::vector<std::pair<std::string, uint64_t>> sorted(modules.begin(), modules.end());
    std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.second > b.second; });
    uint64_t other = 0;
    for (size_t i = kMaxBars; i < sorted.size(); ++i)
        other += sorted[i].second;
    if (sorted.size() > size_t(kMaxBars)) sorted.resize(kMaxBars);
    if (other > 0) sorted.emplace_back(tr("other").toStdString(), other);
    // Largest at the top: a horizontal bar series draws its first category at the bottom.
    std::reverse(sorted.begin(), sorted.end());
    auto* set = new QBarSet(tr("MiB"));
    QStringList names;
    double top = 0;
    for (const auto& [name, size] : sorted) {
        const double mib = double(size) / double(1 << 20);
        *set << mib;
        // A category axis merges equal names, so a cut that makes two names equal keeps the full name.
        QString label = q(name);
        const QString cut = label.left(kMaxBarLabel - 1) + QChar(0x2026); // "…"
        names << (label.size() > kMaxBarLabel && !names.contains(cut) ? cut : label);
        top = std::max(top, mib);
    }
    set->setColor(palette().color(QPalette::Highlight));
    auto* series = new QHorizontalBarSeries;
    series->append(set);
    m_chart->chart()->addSeries(series);
    auto* y = new QBarCategoryAxis;
    y->append(names);
    auto* x = new QValueAxis;
    x->setRange(0, top * 1.05 + 1e-6);
    x->setLabelFormat(QStringLiteral("%.3g"));
    x->setTitleText(tr("MiB per top-level module"));
    for (QAbstractAxis* axis : std::initializer_list<QAbstractAxis*>{x, y}) {
        // Qt Charts sizes the axes before the chart has its final width and then elides every label to "...";
        // module names are cut to kMaxBarLabel above instead, and the numbers are short.
        axis->setTruncateLabels(false);
        axis->setLabelsBrush(palette().color(QPalette::Text));
        axis->setTitleBrush(palette().color(QPalette::Text));
        axis->setGridLineColor(palette().color(QPalette::Mid));
    }
    m_chart->chart()->setBackgroundBrush(palette().color(QPalette::Base));
    m_chart->chart()->addAxis(y, Qt::AlignLeft);
    m_chart->chart()->addAxis(x, Qt::AlignBottom);
    series->attachAxis(y);
    series->attachAxis(x);
    m_bars = int(sorted.size());
    m_chart->setFixedHeight(kChartAxesHeight + kChartBarHeight * m_bars);
    m_chart->show();
}

} // namespace ckpt::app
