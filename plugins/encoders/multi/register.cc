// Registers the `multi` encoder.
#include "imitate/sdk/registrar.h"
#include "plugins/encoders/multi/multi_encoder.h"

IMITATE_PLUGIN(registrar) {
  registrar.Add("multi",
                "images through the conv encoder and float vectors through the mlp encoder, "
                "embeddings concatenated (e.g. pixels + state)",
                imitate::plugins::MultiEncoder::Specs(), &imitate::plugins::MultiEncoder::Create);
}
