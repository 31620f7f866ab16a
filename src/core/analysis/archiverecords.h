#pragma once

#include <string>
#include <utility>
#include <vector>

#include "core/model/checkpoint.h"
#include "core/zip/ziparchive.h"

namespace ckpt
{

// The pickles of a torch zip other than data.pkl (a TorchScript archive's constants.pkl, anything a crafted
// archive adds): torch.jit.load unpickles them, so they are parsed into the document's arena and their
// globals recorded with via "in record NAME". Their roots and replaced BUILD states are appended, for the
// loader-payload scan. A record that does not parse is reported as a finding, never fatal.
void scanOtherPickleRecords(Checkpoint& doc, const ZipArchive& zip, const std::string& dataPickle,
                            std::vector<const Value*>& roots,
                            std::vector<std::pair<const Value*, const Value*>>& replacedStates);

// A TorchScript archive's code/ records: torch.load hands such an archive to torch.jit.load, which compiles and
// runs them. They are searched for the calls that reach files (torch.from_file, torch.load, torch.save and
// their aten ops), each recorded as a global with via "in code record NAME", and a finding says how much code
// the archive carries.
void scanTorchScriptCode(Checkpoint& doc, const ZipArchive& zip);

} // namespace ckpt
