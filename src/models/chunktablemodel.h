#pragma once

#include <QAbstractTableModel>

#include "core/distributed/layout.h"

namespace ckpt::models
{

// The chunks of one tensor of a DCP or DeepSpeed directory, one row each: the rank file holding it, where the
// box starts and how large it is in the global tensor (or in the flattened tensor for ZeRO partitions), the
// byte range of its item in that file, and why it cannot be read when it cannot.
class ChunkTableModel : public QAbstractTableModel
{
    Q_OBJECT
public:
    enum Column { FileColumn, OffsetsColumn, SizesColumn, BytesColumn, ProblemColumn, ColumnCount };

    explicit ChunkTableModel(QObject* parent = nullptr);

    void setTensor(const distributed::VirtualTensor& tensor);

    int rowCount(const QModelIndex& parent = {}) const override;
    int columnCount(const QModelIndex& parent = {}) const override;
    QVariant data(const QModelIndex& index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation, int role = Qt::DisplayRole) const override;

private:
    std::vector<distributed::Chunk> m_chunks;
};

// "complete: every one of 15 elements is in exactly one of 2 chunks", or what is wrong with the coverage.
QString coverageText(const distributed::VirtualTensor& tensor);
// What the tensor's role means to a user ("sharded across ranks", "fp32 master assembled from partitions", ...).
QString roleText(const distributed::VirtualTensor& tensor);

} // namespace ckpt::models
