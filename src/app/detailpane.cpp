#include "app/detailpane.h"

#include <cmath>

#include <QFormLayout>
#include <QHeaderView>
#include <QLabel>
#include <QProgressBar>
#include <QScrollArea>
#include <QTableView>
#include <QVBoxLayout>
#include <QtConcurrent/QtConcurrent>

#include "app/histogramchart.h"
#include "app/overviewpanel.h"
#include "app/valuepreviewjob.h"
#include "app/workerguard.h"
#include "models/chunktablemodel.h"
#include "models/formatting.h"
#include "models/tensorvaluesmodel.h"

namespace ckpt::app
{

namespace
{

using models::q;

QString num(double v)
{
    return std::isnan(v) ? QStringLiteral("-") : QString::number(v, 'g', 6);
}

} // namespace

DetailPane::DetailPane(QWidget* parent) : QWidget(parent)
{
    // The facts scroll; the statistics and the histogram stay in view below them.
    auto* outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    auto* scroll = new QScrollArea(this);
    scroll->setWidgetResizable(true);
    scroll->setFrameShape(QFrame::NoFrame);
    auto* body = new QWidget(scroll);
    auto* layout = new QVBoxLayout(body);
    m_title = new QLabel(tr("Select a row to see its details."), body);
    m_title->setWordWrap(true);
    m_title->setTextInteractionFlags(Qt::TextSelectableByMouse);
    QFont f = m_title->font();
    f.setBold(true);
    m_title->setFont(f);
    m_form = new QFormLayout;
    m_form->setFieldGrowthPolicy(QFormLayout::AllNonFixedFieldsGrow);
    m_form->setVerticalSpacing(2);
    layout->addWidget(m_title);
    layout->addLayout(m_form);
    layout->addStretch();
    scroll->setWidget(body);
    m_stats = new QLabel(this);
    m_stats->setWordWrap(true);
    m_stats->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_stats->setContentsMargins(6, 0, 6, 0);
    m_spinner = new QProgressBar(this);
    m_spinner->setRange(0, 0); // indeterminate: a busy indicator
    m_spinner->setTextVisible(false);
    m_spinner->setMaximumHeight(8);
    m_spinner->hide();
    m_chart = new HistogramChart(this);
    m_chart->hide();
    m_overview = new OverviewPanel(this);
    m_overview->hide();
    m_scroll = scroll;
    outer->addWidget(m_overview, 3);
    outer->addWidget(scroll, 3);
    outer->addWidget(m_spinner);
    outer->addWidget(m_stats);
    outer->addWidget(m_chart, 2);
}

DetailPane::~DetailPane()
{
    cancelStats();
}

bool DetailPane::spinnerShown() const
{
    return m_spinner->isVisibleTo(this);
}

QString DetailPane::statsText() const
{
    return m_stats->text();
}

QString DetailPane::valuesCaption() const
{
    return m_valuesLabel ? m_valuesLabel->text() : QString();
}

QString DetailPane::factText(const QString& label) const
{
    for (int row = 0; row < m_form->rowCount(); ++row) {
        auto* name = qobject_cast<QLabel*>(m_form->itemAt(row, QFormLayout::LabelRole)
                                               ? m_form->itemAt(row, QFormLayout::LabelRole)->widget()
                                               : nullptr);
        auto* value = m_form->itemAt(row, QFormLayout::FieldRole)
                          ? qobject_cast<QLabel*>(m_form->itemAt(row, QFormLayout::FieldRole)->widget())
                          : nullptr;
        if (name && value && name->text() == label) return value->text();
    }
    return {};
}

void DetailPane::setTree(std::shared_ptr<const models::CheckpointTree> tree)
{
    cancelStats();
    m_tree = std::move(tree);
    clearForm();
    m_title->setText(tr("Select a row to see its details."));
    // A new match builds a new tree over the same document: the overview is only redone for a new file.
    CheckpointPtr doc = m_tree ? m_tree->documentPtr() : nullptr;
    if (doc != m_overviewDoc) {
        m_overviewDoc = doc;
        m_overview->setDocument(doc);
    }
    showOverview(doc != nullptr);
}

void DetailPane::showOverview(bool on)
{
    m_overview->setVisible(on);
    m_scroll->setVisible(!on);
}

void DetailPane::clearForm()
{
    while (m_form->rowCount() > 0)
        m_form->removeRow(0);
    m_stats->clear();
    m_chunks = nullptr; // removeRow deleted the tables and their models
    m_values = nullptr;
    m_valuesLabel = nullptr;
    ++m_previewGeneration; // a preview still being read is for a row no longer shown
    m_spinner->hide();
    m_chart->clear();
    m_chart->hide();
}

void DetailPane::addRow(const QString& label, const QString& value)
{
    auto* v = new QLabel(value);
    v->setWordWrap(true);
    v->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_form->addRow(label, v);
}

void DetailPane::cancelStats()
{
    if (m_cancel) *m_cancel = true;
    m_cancel.reset();
    if (m_watcher) {
        // The worker finishes on its own (it polls the flag); its answer is no longer wanted.
        m_watcher->disconnect(this);
        connect(m_watcher, &QFutureWatcherBase::finished, m_watcher, &QObject::deleteLater);
        m_watcher = nullptr;
    }
}

void DetailPane::showNode(int id)
{
    cancelStats();
    clearForm();
    if (!m_tree || id <= 0 || id >= m_tree->size()) {
        m_title->setText(tr("Select a row to see its details."));
        showOverview(m_tree != nullptr);
        return;
    }
    showOverview(false);
    const models::TreeNode& n = m_tree->node(id);
    m_title->setText(q(m_tree->fullPath(id)));
    switch (n.kind) {
    case models::NodeKind::Tensor:
        showTensor(n.ref);
        break;
    case models::NodeKind::Value:
        addRow(tr("Value"), q(renderValue(m_tree->value(id), 2000)));
        if (n.payload)
            addRow(tr("Security"), tr("Dangerous payload: torch.load would run this call. Nothing was run here."));
        break;
    case models::NodeKind::Ghost: {
        const models::GhostEntry& g = m_tree->overlay()->missing[size_t(n.ref)];
        addRow(tr("Missing key"), q(g.archKey));
        addRow(tr("Expected shape"), models::shapeText(g.archShape));
        addRow(tr("Expected dtype"), q(std::string(dtypeName(g.archDtype))));
        break;
    }
    default:
        addRow(tr("Tensors"), models::countText(uint64_t(n.tensorCount)));
        addRow(tr("Parameters"), models::countText(n.elements));
        addRow(tr("Size"), models::humanBytes(n.bytes));
        break;
    }
}

void DetailPane::showTensor(int index)
{
    const Checkpoint& doc = m_tree->document();
    const TensorInfo& t = doc.tensors[size_t(index)];
    addRow(tr("Dtype"), q(std::string(dtypeName(t.dtype))));
    addRow(tr("Shape"), models::shapeText(t.shape));
    addRow(tr("Strides"), models::shapeText(t.stride));
    addRow(tr("Elements"), models::countText(t.numel()));
    addRow(tr("Size"), models::humanBytes(t.nbytes));
    addRow(tr("Location"), q(t.location));
    if (t.layout != TensorLayout::Strided) addRow(tr("Layout"), QString::fromLatin1(layoutName(t.layout)));
    if (dtypeIsQuantized(t.dtype))
        addRow(tr("Quantization"),
               tr("%1, scale %2, zero point %3").arg(q(t.quant.scheme)).arg(t.quant.scale).arg(t.quant.zeroPoint));
    addRow(tr("Kind"), t.parameter ? tr("Parameter (requires_grad %1)").arg(t.requiresGrad ? "True" : "False")
                                   : tr("Tensor (requires_grad %1)").arg(t.requiresGrad ? "True" : "False"));
    if (t.storage >= 0 && size_t(t.storage) < doc.storages.size()) {
        const StorageInfo& s = doc.storages[size_t(t.storage)];
        addRow(tr("Storage"), tr("key %1, offset %2 elements, %3 (%4)")
                                  .arg(q(s.key))
                                  .arg(t.offset)
                                  .arg(models::humanBytes(s.nbytes), q(std::string(dtypeName(s.dtype)))));
        QStringList views;
        int shown = 0, total = 0;
        for (size_t i = 0; i < doc.tensors.size(); ++i) {
            if (int(i) == index || doc.tensors[i].storage != t.storage || doc.tensors[i].component) continue;
            ++total;
            if (shown++ < 8) views << q(pathToString(doc.tensors[i].path));
        }
        if (total > shown) views << tr("... and %1 more").arg(total - shown);
        addRow(tr("Views sharing storage"), views.isEmpty() ? tr("none") : views.join(QLatin1Char('\n')));
    } else {
        addRow(tr("Storage"), tr("none (meta or sparse tensor)"));
    }
    if (const models::RowMatch* m = m_tree->rowMatch(m_tree->nodeForTensor(index))) {
        addRow(tr("Architecture key"), q(m->archKey));
        if (!m->archShape.empty() || m->state == models::MatchState::ShapeMismatch)
            addRow(tr("Expected shape"), models::shapeText(m->archShape));
    }
    const distributed::VirtualTensor* shards = doc.distributed ? doc.distributed->forTensor(index) : nullptr;
    if (shards) {
        showChunks(*shards);
        // Statistics read the tensor's bytes in one piece; a tensor split over several chunks has them only
        // once consolidated, so the pane says so instead of starting a job that can only fail.
        if (shards->chunks.size() != 1) {
            m_stats->setText(tr("Statistics: this tensor is split over %n chunk(s); consolidate the directory "
                                "(File > Consolidate into One File) to see its values.",
                                nullptr, int(shards->chunks.size())));
            return;
        }
    }
    startStats(index);
    startPreview(index);
}

void DetailPane::startPreview(int index)
{
    m_valuesLabel = new QLabel(tr("Values: reading..."));
    m_valuesLabel->setWordWrap(true);
    auto* table = new QTableView;
    table->setObjectName(QStringLiteral("valuesTable"));
    m_values = new models::TensorValuesModel(table);
    table->setModel(m_values);
    table->horizontalHeader()->setDefaultSectionSize(72);
    table->verticalHeader()->setDefaultSectionSize(table->fontMetrics().height() + 4);
    table->setMinimumHeight(8 * (table->fontMetrics().height() + 4));
    m_form->addRow(m_valuesLabel);
    m_form->addRow(table);
    const quint64 generation = m_previewGeneration;
    CheckpointPtr doc = m_tree->documentPtr();
    auto* watcher = new QFutureWatcher<PreviewAnswer>(this);
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher, generation] {
        watcher->deleteLater();
        if (generation != m_previewGeneration || !m_values) return;
        const PreviewAnswer a = watcher->result();
        if (!a.ok) {
            m_valuesLabel->setText(tr("Values: not shown (%1)").arg(a.error));
        } else {
            QString text = tr("Values: %1").arg(a.preview.where);
            if (a.preview.nonFinite > 0)
                text += QLatin1Char(' ') + tr("(%n NaN/Inf shown in red)", nullptr, int(a.preview.nonFinite));
            m_valuesLabel->setText(text);
            m_values->setPreview(a.preview);
        }
        emit previewFinished();
    });
    watcher->setFuture(QtConcurrent::run(guardedWorker([doc, index] { return readValuePreview(doc, index); },
                                                       [](const Error& error) {
                                                           PreviewAnswer answer;
                                                           answer.error = workerErrorText(error);
                                                           return answer;
                                                       })));
}

void DetailPane::showChunks(const distributed::VirtualTensor& t)
{
    addRow(tr("Role"), models::roleText(t));
    addRow(tr("Coverage"), models::coverageText(t));
    auto* table = new QTableView;
    table->setObjectName(QStringLiteral("chunkTable"));
    m_chunks = new models::ChunkTableModel(table);
    m_chunks->setTensor(t);
    table->setModel(m_chunks);
    table->verticalHeader()->hide();
    table->setSelectionBehavior(QAbstractItemView::SelectRows);
    table->setWordWrap(false);
    table->horizontalHeader()->setStretchLastSection(true);
    table->resizeColumnsToContents();
    // Tall enough for a few chunks without a scroll bar; more scroll inside the table.
    const int rows = std::min(int(t.chunks.size()), 6);
    table->setMinimumHeight(table->horizontalHeader()->height() +
                            (rows + 1) * table->verticalHeader()->defaultSectionSize());
    auto* label = new QLabel(tr("Chunks (%1)").arg(t.chunks.size()));
    m_form->addRow(label);
    m_form->addRow(table);
}

void DetailPane::startStats(int index)
{
    // Whether LibTorch can be loaded is asked in the worker too: the first ask dlopen()s it (a second or more),
    // which must never happen on the UI thread. Until the first answer the spinner says what is going on.
    static std::atomic<bool> moduleAsked{false};
    m_stats->setText(moduleAsked ? tr("Computing statistics...")
                                 : tr("Loading the tensor module (LibTorch, first use only)..."));
    m_spinner->show();
    m_cancel = std::make_shared<std::atomic<bool>>(false);
    auto cancel = m_cancel;
    CheckpointPtr doc = m_tree->documentPtr();
    m_watcher = new QFutureWatcher<StatsAnswer>(this);
    auto* watcher = m_watcher;
    connect(watcher, &QFutureWatcherBase::finished, this, [this, watcher] {
        m_watcher = nullptr;
        m_cancel.reset();
        watcher->deleteLater();
        const StatsAnswer a = watcher->result();
        m_spinner->hide();
        if (!a.ok) {
            m_stats->setText(tr("Statistics unavailable: %1").arg(a.error));
            emit statsFinished();
            return;
        }
        const tensor::TensorStats& s = a.stats;
        m_stats->setText(tr("min %1   max %2   mean %3   std %4\nzeros %5   NaN %6   +Inf %7   -Inf %8   (on %9)")
                             .arg(num(s.min), num(s.max), num(s.mean), num(s.std))
                             .arg(s.zeros)
                             .arg(s.nan)
                             .arg(s.posinf)
                             .arg(s.neginf)
                             .arg(q(s.device)));
        if (!s.counts.empty()) {
            m_chart->setHistogram(s.edges, s.counts, tr("Histogram of %1 values").arg(models::countText(s.count)));
            m_chart->show();
        }
        emit statsFinished();
    });
    watcher->setFuture(QtConcurrent::run(guardedWorker(
        [doc, index, cancel] {
            StatsAnswer answer;
            QString why;
            const bool available = tensorStatsAvailable(&why);
            moduleAsked = true;
            if (!available) {
                answer.error = why;
                return answer;
            }
            return computeTensorStats(doc, index, cancel.get());
        },
        [](const Error& error) {
            StatsAnswer answer;
            answer.error = workerErrorText(error);
            return answer;
        })));
}

} // namespace ckpt::app
