#include "models/chunktablemodel.h"

#include <algorithm>

#include "models/formatting.h"
#include "models/modelroles.h"

namespace ckpt::models
{

ChunkTableModel::ChunkTableModel(QObject* parent) : QAbstractTableModel(parent) {}

void ChunkTableModel::setTensor(const distributed::VirtualTensor& tensor)
{
    beginResetModel();
    m_chunks = tensor.chunks;
    endResetModel();
}

int ChunkTableModel::rowCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : int(m_chunks.size());
}

int ChunkTableModel::columnCount(const QModelIndex& parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant ChunkTableModel::data(const QModelIndex& index, int role) const
{
    if (!index.isValid() || index.row() >= int(m_chunks.size())) return {};
    const distributed::Chunk& c = m_chunks[size_t(index.row())];
    if (role == Qt::DisplayRole || role == Qt::ToolTipRole) {
        switch (index.column()) {
        case FileColumn:
            return QString::fromStdString(c.fileName);
        case OffsetsColumn:
            return shapeText(c.offsets);
        case SizesColumn:
            return shapeText(c.sizes);
        case BytesColumn:
            if (role == Qt::ToolTipRole)
                return tr("bytes %1 to %2 of %3 (%4); the first element at byte %5")
                    .arg(c.byteBegin)
                    .arg(c.byteEnd)
                    .arg(QString::fromStdString(c.fileName), humanBytes(c.byteEnd - c.byteBegin))
                    .arg(c.dataOffset);
            return QStringLiteral("%1\u2013%2").arg(c.byteBegin).arg(c.byteEnd);
        case ProblemColumn:
            return c.problem.empty() ? (role == Qt::DisplayRole ? tr("readable") : QVariant())
                                     : QVariant(QString::fromStdString(c.problem));
        default:
            return {};
        }
    }
    if (role == SortRole && index.column() == BytesColumn) return qulonglong(c.byteBegin);
    return {};
}

QVariant ChunkTableModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal || role != Qt::DisplayRole) return {};
    switch (section) {
    case FileColumn:
        return tr("File");
    case OffsetsColumn:
        return tr("Offsets");
    case SizesColumn:
        return tr("Sizes");
    case BytesColumn:
        return tr("Byte range");
    case ProblemColumn:
        return tr("Problem");
    default:
        return {};
    }
}

QString coverageText(const distributed::VirtualTensor& t)
{
    const int chunks = int(t.chunks.size());
    if (t.coverage.complete)
        return ChunkTableModel::tr("complete: each of the %1 elements is in exactly one of %n chunk(s)", nullptr,
                                   chunks)
            .arg(countText(t.coverage.total));
    // The core counts every chunk box, readable or not; a box in a missing or damaged file holds nothing the
    // user can get back, so the count shown is of the readable chunks' elements only.
    uint64_t readable = 0;
    for (const distributed::Chunk& c : t.chunks) {
        if (!c.problem.empty()) continue;
        uint64_t volume = 1;
        for (int64_t size : c.sizes)
            volume *= uint64_t(std::max<int64_t>(size, 0));
        readable += volume;
    }
    return ChunkTableModel::tr("NOT complete: %1 (%2 of %3 elements readable); it cannot be consolidated")
        .arg(QString::fromStdString(t.coverage.problem.empty() ? std::string("no readable chunk") : t.coverage.problem),
             countText(std::min(readable, t.coverage.total)), countText(t.coverage.total));
}

QString roleText(const distributed::VirtualTensor& t)
{
    QString text;
    if (t.role == "sharded")
        text = ChunkTableModel::tr("sharded: each rank saved a part");
    else if (t.role == "replicated")
        text = ChunkTableModel::tr("one chunk holds the whole tensor");
    else if (t.role == "master")
        text = ChunkTableModel::tr("fp32 master weights, assembled from the ranks' optimizer partitions");
    else if (t.role == "frozen")
        text = ChunkTableModel::tr("frozen parameter (not trained, kept in the model states)");
    else if (t.role == "buffer")
        text = ChunkTableModel::tr("buffer (saved whole in the model states)");
    else if (t.role == "tied")
        text = ChunkTableModel::tr("tied: the same tensor as %1").arg(QString::fromStdString(t.tiedTo));
    else
        text = QString::fromStdString(t.role);
    if (t.flat) text += ChunkTableModel::tr("; offsets and sizes count elements of the flattened tensor");
    return text;
}

} // namespace ckpt::models
