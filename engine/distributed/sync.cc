#include "engine/distributed/sync.h"

#include <torch/torch.h>

#include <cstring>
#include <vector>

namespace imitate::engine {

void BroadcastBytes(Collective& collective, std::string* bytes, int root) {
  const int64_t size = BroadcastInt(collective, static_cast<int64_t>(bytes->size()), root);
  torch::Tensor buffer = torch::empty({size}, torch::kUInt8);
  if (collective.rank() == root && size > 0) std::memcpy(buffer.data_ptr(), bytes->data(), size);
  std::vector<torch::Tensor> tensors = {buffer};
  collective.Broadcast(tensors, root);
  bytes->assign(static_cast<const char*>(tensors[0].data_ptr()), static_cast<size_t>(size));
}

int64_t BroadcastInt(Collective& collective, int64_t value, int root) {
  std::vector<torch::Tensor> tensors = {torch::tensor({value}, torch::kInt64)};
  collective.Broadcast(tensors, root);
  return tensors[0].item<int64_t>();
}

bool SameOnAllRanks(Collective& collective, uint64_t value) {
  // rank 0's value to all; each says whether its own differs; the mean of those says if any did
  int64_t as_signed = 0;
  std::memcpy(&as_signed, &value, sizeof(value));
  const int64_t first = BroadcastInt(collective, as_signed, 0);
  std::vector<torch::Tensor> differs = {torch::tensor({first == as_signed ? 0.0 : 1.0})};
  collective.AllReduceMean(differs);
  return differs[0].item<double>() == 0.0;
}

}  // namespace imitate::engine
