// Registers the `mlp` encoder.
#include "imitate/sdk/registrar.h"
#include "plugins/encoders/mlp/mlp_encoder.h"

IMITATE_PLUGIN(registrar) {
  registrar.Add("mlp", "MLP encoder and decoder for float32 observation vectors (e.g. state)",
                imitate::plugins::MlpEncoder::Specs(), &imitate::plugins::MlpEncoder::Create);
}
