-- costmodel store schema: the one definition of every table, column, unit and constraint.
-- Column names end in their unit (see the glossary in README.md). Every fact row carries
-- source_id (a key into sources) and observed_on (the date the fact was observed).
-- The data dictionary (data/DATA_DICTIONARY.md) is generated from the comments below.
-- Tables are listed in load order: a table only references tables above it.

CREATE TABLE sources (
    source_id VARCHAR PRIMARY KEY CHECK (regexp_matches(source_id, '^[a-z0-9][a-z0-9.-]*$')),
    title VARCHAR NOT NULL,
    url_or_citation VARCHAR NOT NULL,
    licence VARCHAR NOT NULL,
    retrieved_on DATE NOT NULL,
    note VARCHAR
);
COMMENT ON TABLE sources IS 'Registry of every source a fact row cites; source_id ''assumption'' marks a named, explained assumption.';
COMMENT ON COLUMN sources.source_id IS 'Stable lower-case id of the source.';
COMMENT ON COLUMN sources.title IS 'Title of the document, page, dataset or package.';
COMMENT ON COLUMN sources.url_or_citation IS 'URL, repository path with commit, or a citation.';
COMMENT ON COLUMN sources.licence IS 'Licence of the source material, or ''facts (not copyrightable)''.';
COMMENT ON COLUMN sources.retrieved_on IS 'Date the source was read.';
COMMENT ON COLUMN sources.note IS 'Free text: caveats about the source.';

CREATE TABLE precisions (
    precision_id VARCHAR PRIMARY KEY,
    bits_per_weight DOUBLE NOT NULL CHECK (bits_per_weight > 0 AND bits_per_weight <= 32),
    embedding_bits_per_weight DOUBLE NOT NULL CHECK (embedding_bits_per_weight > 0 AND embedding_bits_per_weight <= 32),
    number_format VARCHAR NOT NULL CHECK (number_format IN ('float', 'integer', 'block-scaled')),
    tensor_format VARCHAR NOT NULL CHECK (tensor_format IN ('bf16', 'fp16', 'fp8', 'int8', 'fp4', 'none')),
    applies_to VARCHAR NOT NULL CHECK (applies_to IN ('all-linear', 'moe-experts')),
    description VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL REFERENCES sources (source_id),
    observed_on DATE NOT NULL,
    note VARCHAR
);
COMMENT ON TABLE precisions IS 'Numeric precisions for weights and KV cache, with effective bits per weight including scales and zero points.';
COMMENT ON COLUMN precisions.precision_id IS 'Precision id: bf16, fp16, fp8, int8, awq, gptq, nvfp4, mxfp4, q4_k_m, q6_k, q8_0, ...';
COMMENT ON COLUMN precisions.bits_per_weight IS 'Effective storage per weight including block scales [bit].';
COMMENT ON COLUMN precisions.embedding_bits_per_weight IS 'Storage of the token embedding and LM head, which GPU quantisers keep in 16 bits [bit].';
COMMENT ON COLUMN precisions.number_format IS 'float, integer, or block-scaled (a shared scale per block of weights).';
COMMENT ON COLUMN precisions.tensor_format IS 'Tensor-core format the matrix multiplies use where the GPU runs the precision natively (bf16, fp16, fp8, int8, fp4); none for weight-only formats (AWQ, GPTQ, GGUF), which dequantise to 16 bits and multiply there.';
COMMENT ON COLUMN precisions.applies_to IS 'all-linear: every weight matrix but the embeddings; moe-experts: only the routed experts (gpt-oss MXFP4 keeps attention, router and embeddings in BF16).';
COMMENT ON COLUMN precisions.description IS 'What the precision is and how its bits were counted.';
COMMENT ON COLUMN precisions.source_id IS 'Source of the figure (sources.source_id).';
COMMENT ON COLUMN precisions.observed_on IS 'Date the figure was observed.';
COMMENT ON COLUMN precisions.note IS 'Free text.';

CREATE TABLE precision_aliases (
    alias VARCHAR PRIMARY KEY CHECK (alias = lower(alias)),
    precision_id VARCHAR NOT NULL REFERENCES precisions (precision_id),
    note VARCHAR
);
COMMENT ON TABLE precision_aliases IS 'Other names of a precision (fp4 for NVFP4, int4 and w4a16 for AWQ, w8a8 for INT8), matched case-insensitively.';
COMMENT ON COLUMN precision_aliases.alias IS 'Alias in lower case.';
COMMENT ON COLUMN precision_aliases.precision_id IS 'Precision it stands for (precisions.precision_id).';
COMMENT ON COLUMN precision_aliases.note IS 'Free text.';

CREATE TABLE engines (
    engine_id VARCHAR PRIMARY KEY,
    display_name VARCHAR NOT NULL,
    url_or_citation VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL REFERENCES sources (source_id),
    observed_on DATE NOT NULL,
    note VARCHAR
);
COMMENT ON TABLE engines IS 'Serving engines throughput is measured and modelled for.';
COMMENT ON COLUMN engines.engine_id IS 'Engine id: vllm, sglang, tensorrt-llm, llama.cpp, transformers.';
COMMENT ON COLUMN engines.display_name IS 'Human-readable name.';
COMMENT ON COLUMN engines.url_or_citation IS 'Project home.';
COMMENT ON COLUMN engines.source_id IS 'Source (sources.source_id).';
COMMENT ON COLUMN engines.observed_on IS 'Date observed.';
COMMENT ON COLUMN engines.note IS 'Free text.';

CREATE TABLE engine_lineage (
    engine_id VARCHAR PRIMARY KEY REFERENCES engines (engine_id),
    based_on_engine_id VARCHAR NOT NULL REFERENCES engines (engine_id),
    source_id VARCHAR NOT NULL REFERENCES sources (source_id),
    observed_on DATE NOT NULL,
    note VARCHAR NOT NULL,
    CHECK (engine_id <> based_on_engine_id)
);
COMMENT ON TABLE engine_lineage IS 'Engines that wrap another one (Ollama runs llama.cpp): without calibration rows of their own they use the engine they are based on.';
COMMENT ON COLUMN engine_lineage.engine_id IS 'The wrapping engine (engines.engine_id).';
COMMENT ON COLUMN engine_lineage.based_on_engine_id IS 'The engine it runs (engines.engine_id).';
COMMENT ON COLUMN engine_lineage.source_id IS 'Source (sources.source_id).';
COMMENT ON COLUMN engine_lineage.observed_on IS 'Date observed.';
COMMENT ON COLUMN engine_lineage.note IS 'How it wraps the other engine.';

CREATE TABLE engine_versions (
    engine_id VARCHAR NOT NULL REFERENCES engines (engine_id),
    engine_version VARCHAR NOT NULL CHECK (regexp_matches(engine_version, '^(unstated|[0-9a-z][0-9a-z.+-]*)$')),
    version_line VARCHAR NOT NULL CHECK (regexp_matches(version_line, '^[a-z0-9][a-z0-9.+-]*$')),
    released_on DATE,
    source_id VARCHAR NOT NULL REFERENCES sources (source_id),
    observed_on DATE NOT NULL,
    note VARCHAR,
    PRIMARY KEY (engine_id, engine_version)
);
COMMENT ON TABLE engine_versions IS 'Engine releases a measured row or an estimate may name; ''unstated'' stands for a run whose source gives no version. Each belongs to a version line (a span of releases with the same scheduler and kernels) that the calibration can scale.';
COMMENT ON COLUMN engine_versions.engine_id IS 'Engine (engines.engine_id).';
COMMENT ON COLUMN engine_versions.engine_version IS 'Release as the engine numbers it (0.6.3.post1, 1.0.0, b4500), or ''unstated''.';
COMMENT ON COLUMN engine_versions.version_line IS 'Group of releases calibrated together (vllm-v0.6, vllm-v1, tensorrt-llm-1.x, llama.cpp-2025, ...); ''unstated'' for unknown versions.';
COMMENT ON COLUMN engine_versions.released_on IS 'Release date where known.';
COMMENT ON COLUMN engine_versions.source_id IS 'Source (sources.source_id): release notes or tags.';
COMMENT ON COLUMN engine_versions.observed_on IS 'Date observed.';
COMMENT ON COLUMN engine_versions.note IS 'Free text.';

CREATE TABLE models (
    model_id VARCHAR PRIMARY KEY CHECK (regexp_matches(model_id, '^[a-z0-9][a-z0-9.-]*$')),
    display_name VARCHAR NOT NULL,
    open_weights BOOLEAN NOT NULL,
    hf_repo VARCHAR,
    family VARCHAR NOT NULL,
    total_params_b DOUBLE CHECK (total_params_b > 0),
    active_params_b DOUBLE CHECK (active_params_b > 0 AND active_params_b <= total_params_b),
    num_layers INTEGER CHECK (num_layers > 0),
    kv_layers INTEGER CHECK (kv_layers > 0 AND kv_layers <= num_layers),
    sliding_window_layers INTEGER CHECK (sliding_window_layers >= 0 AND sliding_window_layers <= kv_layers),
    sliding_window_tokens INTEGER CHECK (sliding_window_tokens > 0),
    sliding_window_layer_pattern VARCHAR,
    hidden_size INTEGER CHECK (hidden_size > 0),
    intermediate_size INTEGER CHECK (intermediate_size > 0),
    num_attention_heads INTEGER CHECK (num_attention_heads > 0),
    num_kv_heads INTEGER CHECK (num_kv_heads > 0 AND num_kv_heads <= num_attention_heads),
    head_dim INTEGER CHECK (head_dim > 0),
    vocab_size INTEGER CHECK (vocab_size > 0),
    context_tokens INTEGER CHECK (context_tokens > 0),
    attention_kind VARCHAR CHECK (attention_kind IN ('GQA', 'MHA', 'MLA', 'MLA+DSA', 'GQA+SWA', 'GQA+SWA-hybrid',
                                                     'GQA+chunked-hybrid', 'GQA+cross-attn')),
    mla_kv_lora_rank INTEGER CHECK (mla_kv_lora_rank > 0),
    mla_qk_rope_head_dim INTEGER CHECK (mla_qk_rope_head_dim > 0),
    num_experts INTEGER CHECK (num_experts > 0),
    experts_per_token INTEGER CHECK (experts_per_token > 0 AND experts_per_token <= num_experts),
    shared_experts INTEGER CHECK (shared_experts >= 0),
    tie_embeddings BOOLEAN,
    release_precision_id VARCHAR REFERENCES precisions (precision_id),
    licence VARCHAR NOT NULL,
    commercial_use VARCHAR NOT NULL CHECK (commercial_use IN ('yes', 'restricted', 'no', 'api-only', 'unknown')),
    release_date DATE,
    seed_discrepancy VARCHAR,
    source_id VARCHAR NOT NULL REFERENCES sources (source_id),
    observed_on DATE NOT NULL,
    note VARCHAR,
    CHECK (NOT open_weights OR (total_params_b IS NOT NULL AND num_layers IS NOT NULL AND kv_layers IS NOT NULL
                                AND hidden_size IS NOT NULL AND num_kv_heads IS NOT NULL AND head_dim IS NOT NULL
                                AND attention_kind IS NOT NULL AND release_precision_id IS NOT NULL)),
    CHECK (attention_kind NOT IN ('MLA', 'MLA+DSA') OR (mla_kv_lora_rank IS NOT NULL AND mla_qk_rope_head_dim IS NOT NULL)),
    CHECK ((sliding_window_layers IS NULL OR sliding_window_layers = 0) OR sliding_window_tokens IS NOT NULL)
);
COMMENT ON TABLE models IS 'Model architectures (open weights) and the proprietary API models they are compared with (open_weights = false, no architecture).';
COMMENT ON COLUMN models.model_id IS 'Project model id, lower-case and hyphenated (e.g. llama-3.1-8b).';
COMMENT ON COLUMN models.display_name IS 'Human-readable name.';
COMMENT ON COLUMN models.open_weights IS 'True when the weights can be downloaded and self-hosted.';
COMMENT ON COLUMN models.hf_repo IS 'Hugging Face repository of the base checkpoint.';
COMMENT ON COLUMN models.family IS 'Model family (llama-3.1, qwen-2.5, ...).';
COMMENT ON COLUMN models.total_params_b IS 'Total parameters, all experts included [billion].';
COMMENT ON COLUMN models.active_params_b IS 'Parameters used per token (MoE: routed + shared experts + attention) [billion].';
COMMENT ON COLUMN models.num_layers IS 'Transformer layers [count].';
COMMENT ON COLUMN models.kv_layers IS 'Layers that keep a per-token KV cache of the text sequence [count] (excludes cross-attention layers).';
COMMENT ON COLUMN models.sliding_window_layers IS 'Of kv_layers, those attending only to the last sliding_window_tokens [count]; 0 for full attention.';
COMMENT ON COLUMN models.sliding_window_tokens IS 'Sliding window or attention chunk length [token].';
COMMENT ON COLUMN models.sliding_window_layer_pattern IS 'Which layers are windowed, in words.';
COMMENT ON COLUMN models.hidden_size IS 'Model (residual) width [count].';
COMMENT ON COLUMN models.intermediate_size IS 'FFN width; per expert for MoE models [count].';
COMMENT ON COLUMN models.num_attention_heads IS 'Query heads [count].';
COMMENT ON COLUMN models.num_kv_heads IS 'Key/value heads after grouped-query attention [count]; nominal under MLA.';
COMMENT ON COLUMN models.head_dim IS 'Dimension of one attention head [count]; q/k dim for MLA.';
COMMENT ON COLUMN models.vocab_size IS 'Vocabulary [token].';
COMMENT ON COLUMN models.context_tokens IS 'Maximum context from the model card [token].';
COMMENT ON COLUMN models.attention_kind IS 'GQA, MHA, MLA, MLA+DSA, GQA+SWA, GQA+SWA-hybrid, GQA+chunked-hybrid or GQA+cross-attn.';
COMMENT ON COLUMN models.mla_kv_lora_rank IS 'MLA compressed KV latent width per layer per token [count].';
COMMENT ON COLUMN models.mla_qk_rope_head_dim IS 'MLA decoupled RoPE key width per layer per token [count].';
COMMENT ON COLUMN models.num_experts IS 'Routed experts per MoE layer [count]; empty for dense models.';
COMMENT ON COLUMN models.experts_per_token IS 'Routed experts chosen per token [count].';
COMMENT ON COLUMN models.shared_experts IS 'Always-active shared experts per MoE layer [count].';
COMMENT ON COLUMN models.tie_embeddings IS 'True when input embedding and LM head share weights.';
COMMENT ON COLUMN models.release_precision_id IS 'Precision of the official checkpoint (bf16 for most; fp8 for DeepSeek V3/R1 and Kimi K2; mxfp4 for gpt-oss): the default of every estimate (precisions.precision_id).';
COMMENT ON COLUMN models.licence IS 'Licence of the weights (or ''proprietary'').';
COMMENT ON COLUMN models.commercial_use IS 'yes, restricted (conditions such as a user cap), no, api-only, or unknown (imported configs).';
COMMENT ON COLUMN models.release_date IS 'Release date of the weights or API.';
COMMENT ON COLUMN models.seed_discrepancy IS 'Where the seed article misstates this model, what it says and what is real.';
COMMENT ON COLUMN models.source_id IS 'Source of the architecture facts (sources.source_id).';
COMMENT ON COLUMN models.observed_on IS 'Date the facts were observed.';
COMMENT ON COLUMN models.note IS 'Free text: how figures were derived, conflicts, unverified values.';

CREATE TABLE model_aliases (
    alias VARCHAR PRIMARY KEY CHECK (alias = lower(alias)),
    model_id VARCHAR NOT NULL REFERENCES models (model_id)
);
COMMENT ON TABLE model_aliases IS 'Other names of a model (Hugging Face repos, marketing names), matched case-insensitively.';
COMMENT ON COLUMN model_aliases.alias IS 'Alias in lower case.';
COMMENT ON COLUMN model_aliases.model_id IS 'Model it stands for (models.model_id).';

CREATE TABLE gpus (
    gpu_id VARCHAR PRIMARY KEY CHECK (regexp_matches(gpu_id, '^[a-z0-9][a-z0-9.-]*$')),
    display_name VARCHAR NOT NULL,
    vendor VARCHAR NOT NULL,
    gpu_family VARCHAR NOT NULL CHECK (gpu_family IN ('kepler', 'maxwell', 'pascal', 'volta', 'turing', 'ampere', 'ada', 'hopper', 'blackwell', 'blackwell-rtx', 'gcn5', 'rdna1', 'cdna2', 'cdna3', 'cdna4', 'rdna3', 'tpu', 'arm-cpu', 'mobile-soc')),
    device_class VARCHAR NOT NULL CHECK (device_class IN ('datacenter', 'workstation', 'consumer', 'edge')),
    form_factor VARCHAR NOT NULL,
    memory_gib DOUBLE NOT NULL CHECK (memory_gib > 0),
    memory_bandwidth_gb_per_s DOUBLE NOT NULL CHECK (memory_bandwidth_gb_per_s > 0),
    bf16_dense_tflops DOUBLE NOT NULL CHECK (bf16_dense_tflops > 0),
    fp8_dense_tflops DOUBLE CHECK (fp8_dense_tflops > 0),
    int8_dense_tops DOUBLE CHECK (int8_dense_tops > 0),
    fp4_dense_tflops DOUBLE CHECK (fp4_dense_tflops > 0),
    tdp_w DOUBLE CHECK (tdp_w > 0),
    interconnect VARCHAR NOT NULL,
    interconnect_gb_per_s DOUBLE CHECK (interconnect_gb_per_s > 0),
    source_id VARCHAR NOT NULL REFERENCES sources (source_id),
    observed_on DATE NOT NULL,
    note VARCHAR
);
COMMENT ON TABLE gpus IS 'GPUs and edge devices: memory, bandwidth, dense (not sparsity) tensor throughput, power, interconnect.';
COMMENT ON COLUMN gpus.gpu_id IS 'Project GPU or device id (e.g. h100-sxm, raspberry-pi-5-8gb).';
COMMENT ON COLUMN gpus.display_name IS 'Human-readable name.';
COMMENT ON COLUMN gpus.vendor IS 'Maker.';
COMMENT ON COLUMN gpus.gpu_family IS 'Architecture generation (kepler, maxwell, pascal: catalogued for prices only, no precision_support rows; tpu: Google TPU chips, likewise; volta, turing, ampere, ada, hopper, blackwell (B200/B300/GB200/GB300, SM100), blackwell-rtx (RTX 5090 and RTX PRO 6000, SM120), cdna2, cdna3, cdna4, rdna3, arm-cpu, mobile-soc): precision support and the throughput calibration are per family.';
COMMENT ON COLUMN gpus.device_class IS 'datacenter, workstation, consumer or edge.';
COMMENT ON COLUMN gpus.form_factor IS 'SXM, PCIe, OAM, board, phone, ...';
COMMENT ON COLUMN gpus.memory_gib IS 'Device memory as marketed [GiB = 2^30 byte]: an "80GB" H100 has 80 GiB (85.9e9 byte); memory models convert to GB.';
COMMENT ON COLUMN gpus.memory_bandwidth_gb_per_s IS 'Peak memory bandwidth [GB/s].';
COMMENT ON COLUMN gpus.bf16_dense_tflops IS 'Dense BF16 (FP16 where no BF16) tensor throughput, FP32 accumulate [TFLOP/s].';
COMMENT ON COLUMN gpus.fp8_dense_tflops IS 'Dense FP8 tensor throughput [TFLOP/s]; empty when unsupported.';
COMMENT ON COLUMN gpus.int8_dense_tops IS 'Dense INT8 tensor throughput [TOP/s]; empty when unsupported.';
COMMENT ON COLUMN gpus.fp4_dense_tflops IS 'Dense FP4 tensor throughput [TFLOP/s]; empty when unsupported.';
COMMENT ON COLUMN gpus.tdp_w IS 'Board power (TDP) [W]; empty where the maker publishes none (Google TPU v5e, v5p, v6e): buying such a device needs a stated power.';
COMMENT ON COLUMN gpus.interconnect IS 'GPU-to-GPU link.';
COMMENT ON COLUMN gpus.interconnect_gb_per_s IS 'GPU-to-GPU bandwidth per direction [GB/s].';
COMMENT ON COLUMN gpus.source_id IS 'Source (sources.source_id).';
COMMENT ON COLUMN gpus.observed_on IS 'Date observed.';
COMMENT ON COLUMN gpus.note IS 'Free text: uncertain values, alternative figures.';

CREATE TABLE gpu_aliases (
    alias VARCHAR PRIMARY KEY CHECK (alias = lower(alias)),
    gpu_id VARCHAR NOT NULL REFERENCES gpus (gpu_id)
);
COMMENT ON TABLE gpu_aliases IS 'Other names of a GPU (H100, NVIDIA H100 80GB HBM3, catalogue names), matched case-insensitively.';
COMMENT ON COLUMN gpu_aliases.alias IS 'Alias in lower case.';
COMMENT ON COLUMN gpu_aliases.gpu_id IS 'GPU it stands for (gpus.gpu_id).';

CREATE TABLE precision_support (
    scope VARCHAR NOT NULL,
    gpu_family VARCHAR NOT NULL,
    precision_id VARCHAR NOT NULL REFERENCES precisions (precision_id),
    support VARCHAR NOT NULL CHECK (support IN ('native', 'weight-only', 'unsupported')),
    source_id VARCHAR NOT NULL REFERENCES sources (source_id),
    observed_on DATE NOT NULL,
    note VARCHAR NOT NULL,
    PRIMARY KEY (scope, gpu_family, precision_id)
);
COMMENT ON TABLE precision_support IS 'Which precisions a GPU family runs on its tensor cores (native), which an engine runs by dequantising the weights to 16 bits for 16-bit matrix multiplies (weight-only: the memory saving stays, the compute does not), and which it refuses. The most specific scope wins: an engine id, else ''all'' (the hardware).';
COMMENT ON COLUMN precision_support.scope IS 'An engine id where the engine differs from the hardware rule, else ''all''.';
COMMENT ON COLUMN precision_support.gpu_family IS 'GPU family (gpus.gpu_family).';
COMMENT ON COLUMN precision_support.precision_id IS 'Weight precision (precisions.precision_id).';
COMMENT ON COLUMN precision_support.support IS 'native (tensor cores of that format), weight-only (dequantised to 16 bits) or unsupported (refused).';
COMMENT ON COLUMN precision_support.source_id IS 'Source (sources.source_id): architecture whitepaper, engine code or docs.';
COMMENT ON COLUMN precision_support.observed_on IS 'Date observed.';
COMMENT ON COLUMN precision_support.note IS 'What the source says (kernel, capability check).';

CREATE TABLE gpu_providers (
    provider VARCHAR PRIMARY KEY CHECK (regexp_matches(provider, '^[a-z0-9][a-z0-9._-]*$')),
    market_segment VARCHAR NOT NULL CHECK (market_segment IN ('hyperscaler', 'neocloud', 'marketplace', 'negotiated')),
    source_id VARCHAR NOT NULL REFERENCES sources (source_id),
    observed_on DATE NOT NULL,
    note VARCHAR NOT NULL
);
COMMENT ON TABLE gpu_providers IS 'Who sells GPU-hours, and in which market segment: the default GPU price is a median within a segment.';
COMMENT ON COLUMN gpu_providers.provider IS 'Cloud or marketplace id, lower-case, as gpu_prices.provider uses it.';
COMMENT ON COLUMN gpu_providers.market_segment IS 'hyperscaler (the general-purpose public clouds AWS, GCP, Azure, Oracle), neocloud (other clouds that rent their own or leased GPU servers: GPU specialists and smaller general clouds), marketplace (hosts or brokers list third-party machines: Vast.ai, TensorDock, ...) or negotiated (a user''s own contract prices).';
COMMENT ON COLUMN gpu_providers.source_id IS 'Source describing the provider (sources.source_id).';
COMMENT ON COLUMN gpu_providers.observed_on IS 'Date the description was read.';
COMMENT ON COLUMN gpu_providers.note IS 'Why this segment.';

CREATE TABLE gpu_prices (
    provider VARCHAR NOT NULL REFERENCES gpu_providers (provider),
    gpu_id VARCHAR NOT NULL REFERENCES gpus (gpu_id),
    pricing_mode VARCHAR NOT NULL CHECK (pricing_mode IN ('on-demand', 'spot', 'reserved-1y', 'reserved-3y', 'serverless')),
    region VARCHAR NOT NULL,
    gpus_per_instance INTEGER NOT NULL CHECK (gpus_per_instance > 0),
    instance_type VARCHAR NOT NULL,
    usd_per_gpu_hour DOUBLE NOT NULL CHECK (usd_per_gpu_hour >= 0.01 AND usd_per_gpu_hour <= 100),
    source_id VARCHAR NOT NULL REFERENCES sources (source_id),
    observed_on DATE NOT NULL,
    note VARCHAR,
    PRIMARY KEY (provider, gpu_id, pricing_mode, region, gpus_per_instance, instance_type, source_id, observed_on)
);
COMMENT ON TABLE gpu_prices IS 'Rental prices per GPU-hour: one row per observation (history, never overwritten).';
COMMENT ON COLUMN gpu_prices.provider IS 'Cloud or marketplace, lower-case (aws, gcp, lambda, runpod, ...).';
COMMENT ON COLUMN gpu_prices.gpu_id IS 'GPU (gpus.gpu_id).';
COMMENT ON COLUMN gpu_prices.pricing_mode IS 'on-demand, spot, reserved-1y, reserved-3y or serverless (billed per second while serving).';
COMMENT ON COLUMN gpu_prices.region IS 'Region or zone, ''any'' where the price is not regional or unstated.';
COMMENT ON COLUMN gpu_prices.gpus_per_instance IS 'GPUs in the priced instance [count].';
COMMENT ON COLUMN gpu_prices.instance_type IS 'Instance or product name as the provider sells it.';
COMMENT ON COLUMN gpu_prices.usd_per_gpu_hour IS 'Price per GPU-hour: instance price divided by gpus_per_instance [USD/h]. Plausible range 0.01-100: the cheapest observed rental (a consumer card on a marketplace, about $0.05) over 5 and the dearest (hyperscaler H100/GB200 list prices, about $12-15) times 7; anything outside is a unit error.';
COMMENT ON COLUMN gpu_prices.source_id IS 'Source (sources.source_id).';
COMMENT ON COLUMN gpu_prices.observed_on IS 'Date the price was observed.';
COMMENT ON COLUMN gpu_prices.note IS 'Free text.';

CREATE TABLE gpu_purchase_prices (
    gpu_id VARCHAR NOT NULL REFERENCES gpus (gpu_id),
    usd_per_gpu DOUBLE NOT NULL CHECK (usd_per_gpu > 0),
    usd_per_gpu_low DOUBLE CHECK (usd_per_gpu_low > 0 AND usd_per_gpu_low <= usd_per_gpu),
    usd_per_gpu_high DOUBLE CHECK (usd_per_gpu_high >= usd_per_gpu),
    source_id VARCHAR NOT NULL REFERENCES sources (source_id),
    observed_on DATE NOT NULL,
    note VARCHAR,
    PRIMARY KEY (gpu_id, source_id, observed_on)
);
COMMENT ON TABLE gpu_purchase_prices IS 'Street purchase price of one GPU (or device), with a stated range.';
COMMENT ON COLUMN gpu_purchase_prices.gpu_id IS 'GPU (gpus.gpu_id).';
COMMENT ON COLUMN gpu_purchase_prices.usd_per_gpu IS 'Central street price [USD].';
COMMENT ON COLUMN gpu_purchase_prices.usd_per_gpu_low IS 'Low end of the quoted range [USD].';
COMMENT ON COLUMN gpu_purchase_prices.usd_per_gpu_high IS 'High end of the quoted range [USD].';
COMMENT ON COLUMN gpu_purchase_prices.source_id IS 'Source (sources.source_id).';
COMMENT ON COLUMN gpu_purchase_prices.observed_on IS 'Date observed.';
COMMENT ON COLUMN gpu_purchase_prices.note IS 'Free text.';

CREATE TABLE ownership_inputs (
    input_id VARCHAR NOT NULL CHECK (regexp_matches(input_id, '^[a-z0-9_]+$')),
    value DOUBLE NOT NULL CHECK (value >= 0),
    value_low DOUBLE CHECK (value_low >= 0 AND value_low <= value),
    value_high DOUBLE CHECK (value_high >= value),
    unit VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL REFERENCES sources (source_id),
    observed_on DATE NOT NULL,
    note VARCHAR NOT NULL,
    PRIMARY KEY (input_id, source_id, observed_on),
    CHECK (NOT ends_with(input_id, '_share') OR (value <= 1 AND coalesce(value_high, 0) <= 1))
);
COMMENT ON TABLE ownership_inputs IS 'Inputs of the cost of owning GPUs and of renting discounts: power price, PUE, colocation, depreciation, residual value, reserved discounts. The input_id ends in its unit.';
COMMENT ON COLUMN ownership_inputs.input_id IS 'Name of the input ending in its unit (power_usd_per_kwh, pue_ratio, residual_value_share, ...).';
COMMENT ON COLUMN ownership_inputs.value IS 'Central value, in the unit of input_id.';
COMMENT ON COLUMN ownership_inputs.value_low IS 'Low end of the quoted range, in the unit of input_id.';
COMMENT ON COLUMN ownership_inputs.value_high IS 'High end of the quoted range, in the unit of input_id.';
COMMENT ON COLUMN ownership_inputs.unit IS 'Unit in words (USD/kWh, ratio, year, fraction, USD/kW/month).';
COMMENT ON COLUMN ownership_inputs.source_id IS 'Source (sources.source_id).';
COMMENT ON COLUMN ownership_inputs.observed_on IS 'Date observed.';
COMMENT ON COLUMN ownership_inputs.note IS 'Why this value (required: assumptions must say why).';

CREATE TABLE ownership_profiles (
    profile VARCHAR NOT NULL CHECK (profile IN ('datacenter', 'colocation', 'office', 'home')),
    input_id VARCHAR NOT NULL CHECK (input_id IN ('power_usd_per_kwh', 'pue_ratio', 'colocation_usd_per_kw_month', 'ops_usd_per_month', 'server_overhead_share', 'server_power_kw_per_gpu', 'depreciation_years', 'residual_value_share')),
    value DOUBLE NOT NULL CHECK (value >= 0),
    unit VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL REFERENCES sources (source_id),
    observed_on DATE NOT NULL,
    note VARCHAR NOT NULL,
    PRIMARY KEY (profile, input_id, source_id, observed_on)
);
COMMENT ON TABLE ownership_profiles IS 'Named settings of self-hosting (datacenter, colocation, office, home): ownership inputs that differ from the defaults in ownership_inputs.';
COMMENT ON COLUMN ownership_profiles.profile IS 'datacenter (a hyperscale-class facility), colocation (an average data centre), office (a server room on commercial power) or home (residential power, no facility, no team).';
COMMENT ON COLUMN ownership_profiles.input_id IS 'Which ownership input the profile sets (ownership_inputs.input_id); the others keep their defaults.';
COMMENT ON COLUMN ownership_profiles.value IS 'Value in the unit of the input.';
COMMENT ON COLUMN ownership_profiles.unit IS 'Unit, as in ownership_inputs.';
COMMENT ON COLUMN ownership_profiles.source_id IS 'Source (sources.source_id); assumption where the value is a definition (a home pays no colocation).';
COMMENT ON COLUMN ownership_profiles.observed_on IS 'Date the figure was published or observed.';
COMMENT ON COLUMN ownership_profiles.note IS 'What the source says.';

CREATE TABLE runtime_inputs (
    input_id VARCHAR NOT NULL CHECK (regexp_matches(input_id, '^[a-z0-9_]+$')),
    scope VARCHAR NOT NULL,
    engine_version_from VARCHAR NOT NULL,
    engine_version_until VARCHAR,
    condition VARCHAR NOT NULL CHECK (regexp_matches(condition, '^(any|(device_class|gpu_family|vendor)=[a-z0-9-]+|gpu_memory_gib(>=|<)[0-9.]+|model_context_tokens(>|<=)[0-9]+)$')),
    value DOUBLE NOT NULL CHECK (value >= 0),
    value_low DOUBLE CHECK (value_low >= 0 AND value_low <= value),
    value_high DOUBLE CHECK (value_high >= value),
    unit VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL REFERENCES sources (source_id),
    observed_on DATE NOT NULL,
    note VARCHAR NOT NULL,
    PRIMARY KEY (input_id, scope, engine_version_from, condition, source_id, observed_on),
    CHECK (NOT ends_with(input_id, '_share') OR (value <= 1 AND coalesce(value_high, 0) <= 1))
);
COMMENT ON TABLE runtime_inputs IS 'Inputs of the memory and throughput models that are not architecture or datasheet facts: memory the engine may use, runtime overhead, batch limits. The input_id ends in its unit.';
COMMENT ON COLUMN runtime_inputs.input_id IS 'Name of the input ending in its unit (memory_usable_share, runtime_overhead_gb_per_gpu, kv_cache_free_memory_share, max_batch_sequences).';
COMMENT ON COLUMN runtime_inputs.scope IS 'Where it applies: an engine id, or ''all''; the most specific scope wins.';
COMMENT ON COLUMN runtime_inputs.engine_version_from IS 'First engine release the value holds for (''0'': every release; compared numerically part by part, llama.cpp builds by number).';
COMMENT ON COLUMN runtime_inputs.engine_version_until IS 'First release it no longer holds for; empty: still in force.';
COMMENT ON COLUMN runtime_inputs.condition IS 'any, or one condition on the device (device_class=edge, gpu_family=ampere, vendor=amd, gpu_memory_gib>=70, gpu_memory_gib<70) or on the model (model_context_tokens>32768, model_context_tokens<=32768: its maximum context). A model condition beats a device one, which beats any; a later engine_version_from beats an earlier one.';
COMMENT ON COLUMN runtime_inputs.value IS 'Central value, in the unit of input_id.';
COMMENT ON COLUMN runtime_inputs.value_low IS 'Low end of the plausible range.';
COMMENT ON COLUMN runtime_inputs.value_high IS 'High end of the plausible range.';
COMMENT ON COLUMN runtime_inputs.unit IS 'Unit in words.';
COMMENT ON COLUMN runtime_inputs.source_id IS 'Source (sources.source_id).';
COMMENT ON COLUMN runtime_inputs.observed_on IS 'Date observed.';
COMMENT ON COLUMN runtime_inputs.note IS 'Why this value (required).';

CREATE TABLE benchmark_datasets (
    dataset VARCHAR PRIMARY KEY,
    input_tokens_mean DOUBLE CHECK (input_tokens_mean > 0),
    output_tokens_mean DOUBLE CHECK (output_tokens_mean > 0),
    tuned_batch BOOLEAN NOT NULL,
    source_id VARCHAR NOT NULL REFERENCES sources (source_id),
    observed_on DATE NOT NULL,
    note VARCHAR NOT NULL
);
COMMENT ON TABLE benchmark_datasets IS 'Prompt sets used by measured throughput rows, with their mean lengths where a row does not state them.';
COMMENT ON COLUMN benchmark_datasets.dataset IS 'Dataset name as throughput_measured.dataset uses it.';
COMMENT ON COLUMN benchmark_datasets.input_tokens_mean IS 'Mean prompt length [token]; empty where no source states it (a row relying on it is then excluded, or predicted with the engine-independent input_tokens_low/high midpoint and flagged).';
COMMENT ON COLUMN benchmark_datasets.output_tokens_mean IS 'Mean output length [token].';
COMMENT ON COLUMN benchmark_datasets.tuned_batch IS 'True where submitters tune the engine''s batch limit (MLPerf): runs without a stated concurrency then use max_batch_sequences of scope ''tuned-benchmark'' instead of the engine default.';
COMMENT ON COLUMN benchmark_datasets.source_id IS 'Source (sources.source_id); ''assumption'' where no source states it.';
COMMENT ON COLUMN benchmark_datasets.observed_on IS 'Date observed.';
COMMENT ON COLUMN benchmark_datasets.note IS 'How the figure was obtained.';

CREATE TABLE throughput_measured (
    measurement_id VARCHAR PRIMARY KEY CHECK (regexp_matches(measurement_id, '^[a-z0-9][a-z0-9.-]*$')),
    publisher VARCHAR NOT NULL CHECK (regexp_matches(publisher, '^[a-z0-9][a-z0-9.-]*$')),
    model_id VARCHAR NOT NULL REFERENCES models (model_id),
    weight_precision_id VARCHAR NOT NULL REFERENCES precisions (precision_id),
    kv_precision_id VARCHAR REFERENCES precisions (precision_id),
    gpu_id VARCHAR NOT NULL REFERENCES gpus (gpu_id),
    gpu_count INTEGER NOT NULL CHECK (gpu_count > 0),
    tensor_parallel INTEGER CHECK (tensor_parallel > 0 AND tensor_parallel <= gpu_count),
    pipeline_parallel INTEGER CHECK (pipeline_parallel > 0 AND pipeline_parallel <= gpu_count),
    expert_parallel INTEGER CHECK (expert_parallel > 0 AND expert_parallel <= gpu_count),
    data_parallel INTEGER CHECK (data_parallel > 0 AND data_parallel <= gpu_count),
    attention_dp BOOLEAN,
    engine_id VARCHAR NOT NULL REFERENCES engines (engine_id),
    engine_version VARCHAR NOT NULL,
    engine_build VARCHAR,
    settings VARCHAR NOT NULL CHECK (settings IN ('default', 'tuned', 'unknown')),
    max_num_seqs INTEGER CHECK (max_num_seqs > 0),
    max_num_batched_tokens INTEGER CHECK (max_num_batched_tokens > 0),
    chunked_prefill BOOLEAN,
    gpu_memory_utilization_share DOUBLE CHECK (gpu_memory_utilization_share > 0 AND gpu_memory_utilization_share <= 1),
    load_kind VARCHAR NOT NULL CHECK (load_kind IN ('offline', 'fixed-concurrency', 'request-rate', 'latency-limited', 'single-stream', 'llama-bench')),
    dataset VARCHAR NOT NULL REFERENCES benchmark_datasets (dataset),
    input_tokens_mean DOUBLE CHECK (input_tokens_mean > 0),
    output_tokens_mean DOUBLE CHECK (output_tokens_mean > 0),
    length_distribution VARCHAR CHECK (length_distribution IN ('fixed', 'dataset')),
    num_prompts INTEGER CHECK (num_prompts > 0),
    concurrency INTEGER CHECK (concurrency > 0),
    request_rate_per_s DOUBLE CHECK (request_rate_per_s > 0),
    ttft_limit_ms DOUBLE CHECK (ttft_limit_ms > 0),
    ttft_limit_statistic VARCHAR CHECK (ttft_limit_statistic IN ('mean', 'p50', 'p90', 'p95', 'p99')),
    tpot_limit_ms DOUBLE CHECK (tpot_limit_ms > 0),
    tpot_limit_statistic VARCHAR CHECK (tpot_limit_statistic IN ('mean', 'p50', 'p90', 'p95', 'p99')),
    measured_ttft_ms DOUBLE CHECK (measured_ttft_ms > 0),
    measured_tpot_ms DOUBLE CHECK (measured_tpot_ms > 0),
    measured_latency_statistic VARCHAR CHECK (measured_latency_statistic IN ('mean', 'p50', 'p90', 'p95', 'p99')),
    tokens_per_s DOUBLE NOT NULL CHECK (tokens_per_s > 0),
    tokens_per_s_kind VARCHAR NOT NULL CHECK (tokens_per_s_kind IN ('output-per-system', 'output-per-gpu', 'total-per-system', 'total-per-gpu', 'output-per-user', 'decode-per-stream', 'prefill-per-system')),
    precision_certain BOOLEAN NOT NULL,
    exclude_reason VARCHAR,
    source_id VARCHAR NOT NULL REFERENCES sources (source_id),
    observed_on DATE NOT NULL,
    note VARCHAR,
    CHECK (load_kind <> 'fixed-concurrency' OR concurrency IS NOT NULL),
    CHECK (load_kind <> 'request-rate' OR request_rate_per_s IS NOT NULL),
    CHECK (load_kind <> 'latency-limited' OR ttft_limit_ms IS NOT NULL OR tpot_limit_ms IS NOT NULL),
    CHECK ((ttft_limit_ms IS NULL) = (ttft_limit_statistic IS NULL)),
    CHECK ((tpot_limit_ms IS NULL) = (tpot_limit_statistic IS NULL)),
    CHECK ((measured_ttft_ms IS NULL AND measured_tpot_ms IS NULL) OR measured_latency_statistic IS NOT NULL),
    CHECK (tokens_per_s_kind <> 'output-per-user' OR concurrency IS NOT NULL),
    CHECK (tokens_per_s_kind NOT IN ('decode-per-stream', 'prefill-per-system') OR load_kind IN ('llama-bench', 'single-stream'))
);
COMMENT ON TABLE throughput_measured IS 'Measured serving throughput with every condition its source states (an unstated condition is empty, never guessed), for calibrating and validating the throughput model.';
COMMENT ON COLUMN throughput_measured.measurement_id IS 'Stable id of the measurement.';
COMMENT ON COLUMN throughput_measured.publisher IS 'Who ran and published the benchmark set (one blog post, docs table or MLPerf submitter): leave-one-source-out validation predicts each publisher''s rows from the others''.';
COMMENT ON COLUMN throughput_measured.model_id IS 'Model served (models.model_id).';
COMMENT ON COLUMN throughput_measured.weight_precision_id IS 'Weight precision (precisions.precision_id).';
COMMENT ON COLUMN throughput_measured.kv_precision_id IS 'KV-cache precision where the source states it (precisions.precision_id); empty: the engine default applies.';
COMMENT ON COLUMN throughput_measured.gpu_id IS 'GPU (gpus.gpu_id).';
COMMENT ON COLUMN throughput_measured.gpu_count IS 'GPUs in the measured system [count].';
COMMENT ON COLUMN throughput_measured.tensor_parallel IS 'Tensor-parallel degree of one replica where stated [count]; gpu_count / tensor_parallel replicas.';
COMMENT ON COLUMN throughput_measured.pipeline_parallel IS 'Pipeline-parallel degree where stated [count].';
COMMENT ON COLUMN throughput_measured.expert_parallel IS 'Expert-parallel degree where stated [count].';
COMMENT ON COLUMN throughput_measured.data_parallel IS 'Data-parallel ranks (replicas or attention-DP ranks) where stated [count].';
COMMENT ON COLUMN throughput_measured.attention_dp IS 'MoE replicas only: true where attention, dense and shared-expert layers run data-parallel (a full copy on every GPU, each GPU caching its own sequences) and only the routed experts are split; false where everything is tensor-parallel; empty where unstated (then the faster layout is assumed).';
COMMENT ON COLUMN throughput_measured.engine_id IS 'Serving engine (engines.engine_id).';
COMMENT ON COLUMN throughput_measured.engine_version IS 'Engine release (engine_versions.engine_version), ''unstated'' where the source gives none.';
COMMENT ON COLUMN throughput_measured.engine_build IS 'Build details as reported (container tag, commit, TensorRT/ROCm/CUDA versions).';
COMMENT ON COLUMN throughput_measured.settings IS 'default (the source ran the engine''s defaults or states a command line setting no batching flag), tuned (it sets batch, scheduler or memory flags) or unknown.';
COMMENT ON COLUMN throughput_measured.max_num_seqs IS 'Batch limit as set (vLLM max_num_seqs, SGLang max_running_requests, TensorRT-LLM max_batch_size, llama.cpp parallel slots) [sequences]; empty: unstated (the engine default applies when settings is default).';
COMMENT ON COLUMN throughput_measured.max_num_batched_tokens IS 'Per-step token budget as set (vLLM max_num_batched_tokens, SGLang chunked_prefill_size, TensorRT-LLM max_num_tokens) [token].';
COMMENT ON COLUMN throughput_measured.chunked_prefill IS 'Chunked prefill on or off where stated.';
COMMENT ON COLUMN throughput_measured.gpu_memory_utilization_share IS 'Share of device memory the engine was allowed (vLLM gpu_memory_utilization, SGLang mem_fraction_static) where stated [fraction].';
COMMENT ON COLUMN throughput_measured.load_kind IS 'offline (all requests at once: maximum throughput), fixed-concurrency (closed loop with concurrency requests in flight), request-rate (open loop at request_rate_per_s), latency-limited (the most load meeting TTFT/TPOT limits: MLPerf server and interactive), single-stream (one request at a time), llama-bench (llama.cpp timing of one stream: tg or pp).';
COMMENT ON COLUMN throughput_measured.dataset IS 'Prompt set or synthetic lengths (benchmark_datasets.dataset).';
COMMENT ON COLUMN throughput_measured.input_tokens_mean IS 'Mean input (prompt) length [token]; empty where unstated (then the dataset''s mean applies).';
COMMENT ON COLUMN throughput_measured.output_tokens_mean IS 'Mean output length [token].';
COMMENT ON COLUMN throughput_measured.length_distribution IS 'fixed (every request the same lengths: synthetic random with range ratio 1, trtllm-bench, llama-bench) or dataset (each request its own lengths, as in ShareGPT); empty where unstated.';
COMMENT ON COLUMN throughput_measured.num_prompts IS 'Requests in the run [count]: with dataset lengths, a short run spends much of its time draining its longest requests at small batches.';
COMMENT ON COLUMN throughput_measured.concurrency IS 'Requests in flight (closed-loop clients, or batch size of a fixed-batch run) [count]; empty where unbounded.';
COMMENT ON COLUMN throughput_measured.request_rate_per_s IS 'Open-loop request rate [request/s].';
COMMENT ON COLUMN throughput_measured.ttft_limit_ms IS 'Time-to-first-token limit the run had to meet [ms].';
COMMENT ON COLUMN throughput_measured.ttft_limit_statistic IS 'Which statistic of TTFT the limit bounds: mean, p50, p90, p95 or p99 (MLPerf: p99).';
COMMENT ON COLUMN throughput_measured.tpot_limit_ms IS 'Time-per-output-token limit the run had to meet [ms].';
COMMENT ON COLUMN throughput_measured.tpot_limit_statistic IS 'Which statistic of TPOT the limit bounds: mean, p50, p90, p95 or p99 (MLPerf: p99).';
COMMENT ON COLUMN throughput_measured.measured_ttft_ms IS 'Time to first token the source reports with the figure [ms].';
COMMENT ON COLUMN throughput_measured.measured_tpot_ms IS 'Time per output token (inter-token latency) the source reports with the figure [ms].';
COMMENT ON COLUMN throughput_measured.measured_latency_statistic IS 'Statistic of the reported latencies: mean, p50 (median), p90, p95 or p99.';
COMMENT ON COLUMN throughput_measured.tokens_per_s IS 'Measured throughput, of the kind in tokens_per_s_kind [token/s].';
COMMENT ON COLUMN throughput_measured.tokens_per_s_kind IS 'output-per-system, output-per-gpu, total-per-system (input + output), total-per-gpu, output-per-user (one request''s output rate, 1 / TPOT), decode-per-stream (llama-bench tg: one stream, prompt excluded) or prefill-per-system (llama-bench pp: prompt tokens/s).';
COMMENT ON COLUMN throughput_measured.precision_certain IS 'False where the source leaves the weight precision in doubt.';
COMMENT ON COLUMN throughput_measured.exclude_reason IS 'Why this row is left out of calibration and validation, if it is.';
COMMENT ON COLUMN throughput_measured.source_id IS 'Source (sources.source_id).';
COMMENT ON COLUMN throughput_measured.observed_on IS 'Date the result was published where known (MLPerf rounds), else the date it was read.';
COMMENT ON COLUMN throughput_measured.note IS 'Free text: conditions as reported.';

CREATE TABLE throughput_calibration (
    fit_id VARCHAR PRIMARY KEY CHECK (regexp_matches(fit_id, '^(shipped|user-[0-9T]+)$')),
    bandwidth_efficiency DOUBLE NOT NULL CHECK (bandwidth_efficiency > 0 AND bandwidth_efficiency <= 1),
    compute_efficiency DOUBLE NOT NULL CHECK (compute_efficiency > 0 AND compute_efficiency <= 1),
    step_overhead_ms DOUBLE NOT NULL CHECK (step_overhead_ms >= 0),
    moe_tile_tokens DOUBLE NOT NULL CHECK (moe_tile_tokens >= 0),
    prefill_compute_efficiency DOUBLE NOT NULL CHECK (prefill_compute_efficiency > 0 AND prefill_compute_efficiency <= 1),
    allreduce_latency_us DOUBLE NOT NULL CHECK (allreduce_latency_us >= 0),
    tp_scaling_exponent DOUBLE NOT NULL CHECK (tp_scaling_exponent >= -1 AND tp_scaling_exponent <= 2),
    link_efficiency DOUBLE NOT NULL CHECK (link_efficiency > 0 AND link_efficiency <= 1),
    moe_pair_ns DOUBLE NOT NULL CHECK (moe_pair_ns >= 0),
    layer_overhead_us DOUBLE NOT NULL CHECK (layer_overhead_us >= 0),
    moe_layer_overhead_us DOUBLE NOT NULL CHECK (moe_layer_overhead_us >= 0),
    moe_bandwidth_efficiency DOUBLE NOT NULL CHECK (moe_bandwidth_efficiency > 0 AND moe_bandwidth_efficiency <= 1),
    fp4_compute_efficiency DOUBLE NOT NULL CHECK (fp4_compute_efficiency > 0 AND fp4_compute_efficiency <= 1),
    attention_bandwidth_efficiency DOUBLE NOT NULL CHECK (attention_bandwidth_efficiency > 0 AND attention_bandwidth_efficiency <= 1),
    dequant_compute_efficiency DOUBLE NOT NULL CHECK (dequant_compute_efficiency > 0 AND dequant_compute_efficiency <= 1),
    request_overhead_ms DOUBLE NOT NULL CHECK (request_overhead_ms >= 0),
    rows_used INTEGER NOT NULL CHECK (rows_used > 0),
    sources_used INTEGER NOT NULL CHECK (sources_used > 0),
    fitted_on DATE NOT NULL,
    source_id VARCHAR NOT NULL REFERENCES sources (source_id),
    observed_on DATE NOT NULL,
    note VARCHAR NOT NULL
);
COMMENT ON TABLE throughput_calibration IS 'The pooled fit of the throughput model to throughput_measured: efficiencies (shares of datasheet peaks, at most 1) and fixed costs. ''shipped'' is the committed fit; `costmodel calibrate` adds user-<time> fits beside your imports, and the newest is in force.';
COMMENT ON COLUMN throughput_calibration.fit_id IS 'shipped, or user-<YYYYmmddTHHMMSS> for a refit on your machine.';
COMMENT ON COLUMN throughput_calibration.bandwidth_efficiency IS 'Achieved share of peak memory bandwidth [fraction].';
COMMENT ON COLUMN throughput_calibration.compute_efficiency IS 'Achieved share of peak dense tensor throughput in decode matmuls and attention [fraction].';
COMMENT ON COLUMN throughput_calibration.step_overhead_ms IS 'Fixed time per forward pass: scheduling, sampling, host work [ms].';
COMMENT ON COLUMN throughput_calibration.moe_tile_tokens IS 'Rows a grouped-GEMM tile pads each touched expert''s tokens to: an expert with fewer tokens pays a whole tile of FLOPs [token].';
COMMENT ON COLUMN throughput_calibration.prefill_compute_efficiency IS 'Achieved share of peak dense tensor throughput on prompt tokens [fraction].';
COMMENT ON COLUMN throughput_calibration.allreduce_latency_us IS 'Fixed time of one tensor-parallel all-reduce: launch, synchronisation, stragglers [us].';
COMMENT ON COLUMN throughput_calibration.tp_scaling_exponent IS 'Efficiencies of a replica of tp GPUs are scaled by tp^-exponent (smaller per-GPU matrices) [1].';
COMMENT ON COLUMN throughput_calibration.link_efficiency IS 'Achieved share of the GPU-to-GPU link bandwidth in all-reduces [fraction].';
COMMENT ON COLUMN throughput_calibration.moe_pair_ns IS 'Time per (token, routed expert) pair per layer for routing, permutation and combination, spread over the replica''s GPUs [ns].';
COMMENT ON COLUMN throughput_calibration.layer_overhead_us IS 'Fixed time per layer per forward pass: kernel launches and synchronisation that do not shrink with the batch [us].';
COMMENT ON COLUMN throughput_calibration.moe_layer_overhead_us IS 'Fixed time per MoE layer per forward pass: top-k, permutation and grouped-GEMM launches [us].';
COMMENT ON COLUMN throughput_calibration.moe_bandwidth_efficiency IS 'Achieved share of peak bandwidth when grouped GEMMs read routed experts, relative to dense weights [fraction].';
COMMENT ON COLUMN throughput_calibration.fp4_compute_efficiency IS 'Achieved share of the FP4 tensor-core peak, relative to the share other formats reach (block-scale handling) [fraction].';
COMMENT ON COLUMN throughput_calibration.attention_bandwidth_efficiency IS 'Achieved share of peak memory bandwidth when decode attention reads the (paged) KV cache [fraction].';
COMMENT ON COLUMN throughput_calibration.request_overhead_ms IS 'Serial host time each request costs once (admission, tokenising, detokenising, freeing its blocks); it matters for short outputs [ms].';
COMMENT ON COLUMN throughput_calibration.dequant_compute_efficiency IS 'Weight-only formats (GGUF k-quants, AWQ/GPTQ, FP8 on Ampere): share of the 16-bit tensor peak the matmuls keep after dequantising weights in the kernel [fraction].';
COMMENT ON COLUMN throughput_calibration.rows_used IS 'Measured rows the fit used [count].';
COMMENT ON COLUMN throughput_calibration.sources_used IS 'Publishers behind those rows [count].';
COMMENT ON COLUMN throughput_calibration.fitted_on IS 'Date of the fit.';
COMMENT ON COLUMN throughput_calibration.source_id IS 'Source (sources.source_id): the fit itself.';
COMMENT ON COLUMN throughput_calibration.observed_on IS 'Date of the fit.';
COMMENT ON COLUMN throughput_calibration.note IS 'How the fit was made.';

CREATE TABLE throughput_calibration_multipliers (
    fit_id VARCHAR NOT NULL REFERENCES throughput_calibration (fit_id),
    level VARCHAR NOT NULL CHECK (level IN ('engine', 'engine-line', 'engine-gpu-family', 'model')),
    kind VARCHAR NOT NULL CHECK (kind IN ('efficiency', 'fixed')),
    key VARCHAR NOT NULL,
    multiplier DOUBLE NOT NULL CHECK (multiplier > 0),
    sources_used INTEGER NOT NULL CHECK (sources_used >= 2),
    rows_used INTEGER NOT NULL CHECK (rows_used > 0),
    measurement_ids VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL REFERENCES sources (source_id),
    observed_on DATE NOT NULL,
    note VARCHAR NOT NULL,
    PRIMARY KEY (fit_id, level, kind, key)
);
COMMENT ON TABLE throughput_calibration_multipliers IS 'Hierarchical throughput multipliers on top of the pooled fit, per engine, engine version line, engine on a GPU family and model: the mean over publishers of their mean log residual, shrunk towards 1; only where at least two publishers back one. Efficiencies times the multiplier (never above 1), fixed times divided by it.';
COMMENT ON COLUMN throughput_calibration_multipliers.fit_id IS 'Fit it belongs to (throughput_calibration.fit_id).';
COMMENT ON COLUMN throughput_calibration_multipliers.level IS 'engine, engine-line (engine/version line), engine-gpu-family (engine/family) or model.';
COMMENT ON COLUMN throughput_calibration_multipliers.kind IS 'efficiency (efficiencies times the multiplier, never above 1: kernels) or fixed (fixed times divided by it: scheduler and launch costs).';
COMMENT ON COLUMN throughput_calibration_multipliers.key IS 'The engine id, engine/version line, engine/GPU family or model id.';
COMMENT ON COLUMN throughput_calibration_multipliers.multiplier IS 'Throughput multiplier [ratio].';
COMMENT ON COLUMN throughput_calibration_multipliers.sources_used IS 'Publishers behind it [count]: at least 2.';
COMMENT ON COLUMN throughput_calibration_multipliers.rows_used IS 'Measured rows behind it [count].';
COMMENT ON COLUMN throughput_calibration_multipliers.measurement_ids IS 'Those rows (throughput_measured.measurement_id), separated by spaces.';
COMMENT ON COLUMN throughput_calibration_multipliers.source_id IS 'Source (sources.source_id): the fit.';
COMMENT ON COLUMN throughput_calibration_multipliers.observed_on IS 'Date of the fit.';
COMMENT ON COLUMN throughput_calibration_multipliers.note IS 'How it was obtained.';

CREATE TABLE throughput_calibration_bands (
    fit_id VARCHAR NOT NULL REFERENCES throughput_calibration (fit_id),
    group_kind VARCHAR NOT NULL CHECK (group_kind IN ('all', 'engine-gpu-vendor', 'engine', 'gpu-vendor')),
    group_key VARCHAR NOT NULL,
    band_low_log DOUBLE NOT NULL CHECK (band_low_log <= 0),
    band_high_log DOUBLE NOT NULL CHECK (band_high_log >= 0),
    sources_used INTEGER NOT NULL CHECK (sources_used > 0),
    rows_used INTEGER NOT NULL CHECK (rows_used > 0),
    source_id VARCHAR NOT NULL REFERENCES sources (source_id),
    observed_on DATE NOT NULL,
    note VARCHAR NOT NULL,
    PRIMARY KEY (fit_id, group_kind, group_key)
);
COMMENT ON TABLE throughput_calibration_bands IS 'The low-high band of throughput estimates: quantiles of leave-one-source-out log residuals (measured / predicted) per group. An estimate uses the most specific group with at least three publishers and widens it by (1 + 1/n) for the n publishers behind its engine on its GPU family and vendor.';
COMMENT ON COLUMN throughput_calibration_bands.fit_id IS 'Fit it belongs to (throughput_calibration.fit_id).';
COMMENT ON COLUMN throughput_calibration_bands.group_kind IS 'all, engine-gpu-vendor, engine or gpu-vendor.';
COMMENT ON COLUMN throughput_calibration_bands.group_key IS 'The group: all, engine/vendor, engine or vendor.';
COMMENT ON COLUMN throughput_calibration_bands.band_low_log IS 'Low quantile of log(measured / predicted), at most 0 [log ratio].';
COMMENT ON COLUMN throughput_calibration_bands.band_high_log IS 'High quantile of log(measured / predicted), at least 0 [log ratio].';
COMMENT ON COLUMN throughput_calibration_bands.sources_used IS 'Publishers in the group [count].';
COMMENT ON COLUMN throughput_calibration_bands.rows_used IS 'Residuals in the group [count].';
COMMENT ON COLUMN throughput_calibration_bands.source_id IS 'Source (sources.source_id): the fit.';
COMMENT ON COLUMN throughput_calibration_bands.observed_on IS 'Date of the fit.';
COMMENT ON COLUMN throughput_calibration_bands.note IS 'Which quantiles.';

CREATE TABLE throughput_validation (
    fit_id VARCHAR NOT NULL REFERENCES throughput_calibration (fit_id),
    measurement_id VARCHAR NOT NULL REFERENCES throughput_measured (measurement_id),
    predicted_tokens_per_s DOUBLE NOT NULL CHECK (predicted_tokens_per_s > 0),
    predicted_low_tokens_per_s DOUBLE NOT NULL CHECK (predicted_low_tokens_per_s > 0),
    predicted_high_tokens_per_s DOUBLE NOT NULL CHECK (predicted_high_tokens_per_s >= predicted_low_tokens_per_s),
    roofline_tokens_per_s DOUBLE NOT NULL CHECK (roofline_tokens_per_s > 0),
    aiconfigurator_tokens_per_s DOUBLE CHECK (aiconfigurator_tokens_per_s > 0),
    band_group VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL REFERENCES sources (source_id),
    observed_on DATE NOT NULL,
    PRIMARY KEY (fit_id, measurement_id)
);
COMMENT ON TABLE throughput_validation IS 'Leave-one-source-out predictions of every usable measured row, made when the fit was: each publisher''s rows predicted by a fit that never saw that publisher, with the band from the other publishers'' residuals; the plain roofline and NVIDIA aiconfigurator beside them. The validation report reads it; `costmodel validate` recomputes it.';
COMMENT ON COLUMN throughput_validation.fit_id IS 'Fit (throughput_calibration.fit_id).';
COMMENT ON COLUMN throughput_validation.measurement_id IS 'Measured row (throughput_measured.measurement_id).';
COMMENT ON COLUMN throughput_validation.predicted_tokens_per_s IS 'Prediction of the fit without the row''s publisher, in the row''s kind of tokens/s [token/s].';
COMMENT ON COLUMN throughput_validation.predicted_low_tokens_per_s IS 'Low end of its band [token/s].';
COMMENT ON COLUMN throughput_validation.predicted_high_tokens_per_s IS 'High end of its band [token/s].';
COMMENT ON COLUMN throughput_validation.roofline_tokens_per_s IS 'The plain roofline''s prediction (datasheet peaks, no overheads) [token/s].';
COMMENT ON COLUMN throughput_validation.aiconfigurator_tokens_per_s IS 'NVIDIA aiconfigurator-core''s prediction where it covers the row (GPU, engine, model, precision) [token/s].';
COMMENT ON COLUMN throughput_validation.band_group IS 'Residual group the band came from.';
COMMENT ON COLUMN throughput_validation.source_id IS 'Source (sources.source_id): the fit.';
COMMENT ON COLUMN throughput_validation.observed_on IS 'Date of the fit.';

CREATE TABLE throughput_estimator_choice (
    fit_id VARCHAR NOT NULL REFERENCES throughput_calibration (fit_id),
    gpu_family VARCHAR NOT NULL,
    engine_id VARCHAR NOT NULL REFERENCES engines (engine_id),
    estimator VARCHAR NOT NULL CHECK (estimator IN ('roofline', 'aiconfigurator')),
    rows_compared INTEGER NOT NULL CHECK (rows_compared > 0),
    sources_compared INTEGER NOT NULL CHECK (sources_compared > 0),
    roofline_median_abs_error_pct DOUBLE NOT NULL CHECK (roofline_median_abs_error_pct >= 0),
    aiconfigurator_median_abs_error_pct DOUBLE NOT NULL CHECK (aiconfigurator_median_abs_error_pct >= 0),
    fitted_on DATE NOT NULL,
    source_id VARCHAR NOT NULL REFERENCES sources (source_id),
    observed_on DATE NOT NULL,
    note VARCHAR NOT NULL,
    PRIMARY KEY (fit_id, gpu_family, engine_id)
);
COMMENT ON TABLE throughput_estimator_choice IS 'Which estimator `--estimator auto` uses per GPU family and engine: the one with the lower leave-one-source-out median error on the measured rows both cover (aiconfigurator is never fitted to them, so its errors are out of sample as they stand).';
COMMENT ON COLUMN throughput_estimator_choice.fit_id IS 'The calibration this choice was made with (throughput_calibration.fit_id): shipped, or a user refit.';
COMMENT ON COLUMN throughput_estimator_choice.gpu_family IS 'GPU family (gpus.gpu_family).';
COMMENT ON COLUMN throughput_estimator_choice.engine_id IS 'Engine (engines.engine_id).';
COMMENT ON COLUMN throughput_estimator_choice.estimator IS 'roofline or aiconfigurator.';
COMMENT ON COLUMN throughput_estimator_choice.rows_compared IS 'Measured rows both estimators cover [count].';
COMMENT ON COLUMN throughput_estimator_choice.sources_compared IS 'Publishers behind them [count].';
COMMENT ON COLUMN throughput_estimator_choice.roofline_median_abs_error_pct IS 'Median absolute error of the roofline (leave-one-source-out) on them [%].';
COMMENT ON COLUMN throughput_estimator_choice.aiconfigurator_median_abs_error_pct IS 'Median absolute error of aiconfigurator on them [%].';
COMMENT ON COLUMN throughput_estimator_choice.fitted_on IS 'Date of the comparison.';
COMMENT ON COLUMN throughput_estimator_choice.source_id IS 'Source (sources.source_id): the fit.';
COMMENT ON COLUMN throughput_estimator_choice.observed_on IS 'Date of the comparison.';
COMMENT ON COLUMN throughput_estimator_choice.note IS 'How it was chosen.';

CREATE TABLE benchmark_scores (
    model_id VARCHAR NOT NULL REFERENCES models (model_id),
    benchmark VARCHAR NOT NULL,
    metric VARCHAR NOT NULL,
    score_pct DOUBLE NOT NULL CHECK (score_pct >= 0 AND score_pct <= 100),
    source_id VARCHAR NOT NULL REFERENCES sources (source_id),
    observed_on DATE NOT NULL,
    note VARCHAR,
    PRIMARY KEY (model_id, benchmark, metric, source_id)
);
COMMENT ON TABLE benchmark_scores IS 'Quality benchmark scores as published (model cards, papers, leaderboards that state their method): reasoning, coding, knowledge and instruction following. Compare within one source: evaluators differ in harness and settings (the note says who ran it and how).';
COMMENT ON COLUMN benchmark_scores.model_id IS 'Model (models.model_id).';
COMMENT ON COLUMN benchmark_scores.benchmark IS 'Benchmark id (gpqa-diamond, aime-2025, livecodebench, humaneval, mmlu-pro, mmlu, ifeval, math-500, ...).';
COMMENT ON COLUMN benchmark_scores.metric IS 'Metric as the source names it (pass@1, exact-match, prompt-strict, ...), with -thinking or -non-thinking where a source scores both modes of one model.';
COMMENT ON COLUMN benchmark_scores.score_pct IS 'Score [%].';
COMMENT ON COLUMN benchmark_scores.source_id IS 'Source (sources.source_id).';
COMMENT ON COLUMN benchmark_scores.observed_on IS 'Date published.';
COMMENT ON COLUMN benchmark_scores.note IS 'Free text.';

CREATE TABLE api_prices (
    provider VARCHAR NOT NULL,
    provider_model_id VARCHAR NOT NULL,
    context_tier_start_tokens INTEGER NOT NULL CHECK (context_tier_start_tokens >= 0),
    time_window_utc VARCHAR NOT NULL,
    price_period INTEGER NOT NULL CHECK (price_period >= 0),
    service_tier VARCHAR NOT NULL DEFAULT 'standard' CHECK (service_tier IN ('standard', 'batch', 'flex', 'priority')),
    effective_from DATE,
    effective_until DATE CHECK (effective_until > effective_from OR effective_from IS NULL),
    input_usd_per_mtok DOUBLE NOT NULL CHECK (input_usd_per_mtok > 0),
    output_usd_per_mtok DOUBLE CHECK (output_usd_per_mtok > 0),
    cached_input_usd_per_mtok DOUBLE CHECK (cached_input_usd_per_mtok > 0),
    cache_write_usd_per_mtok DOUBLE CHECK (cache_write_usd_per_mtok > 0),
    source_id VARCHAR NOT NULL REFERENCES sources (source_id),
    observed_on DATE NOT NULL,
    note VARCHAR,
    PRIMARY KEY (provider, provider_model_id, context_tier_start_tokens, time_window_utc, price_period, service_tier, source_id, observed_on)
);
COMMENT ON TABLE api_prices IS 'Per-token API list prices, one row per price period, context tier and time window (history, never overwritten).';
COMMENT ON COLUMN api_prices.provider IS 'API provider id.';
COMMENT ON COLUMN api_prices.provider_model_id IS 'Model id as the provider prices it.';
COMMENT ON COLUMN api_prices.context_tier_start_tokens IS 'Prompt length from which this tier applies to all tokens of the request [token]; 0 for the base tier.';
COMMENT ON COLUMN api_prices.time_window_utc IS 'Time of day the price applies (HH:MM-HH:MM UTC); ''all-day'' or ''otherwise'' (outside the listed windows).';
COMMENT ON COLUMN api_prices.price_period IS 'Order of the price within one observation: 0 for the price with no start date, then 1, 2, ... for dated changes.';
COMMENT ON COLUMN api_prices.service_tier IS 'standard, batch (asynchronous batch processing), flex (slower, cheaper) or priority (faster, dearer): the provider''s processing tiers; a file without the column holds standard prices.';
COMMENT ON COLUMN api_prices.effective_from IS 'First day the price applies; empty when the source gives none: then from observed_on, or without a known start when effective_until is set.';
COMMENT ON COLUMN api_prices.effective_until IS 'First day the price no longer applies (a later dated price replaced it); empty while in force.';
COMMENT ON COLUMN api_prices.input_usd_per_mtok IS 'Uncached input price [USD per million tokens].';
COMMENT ON COLUMN api_prices.output_usd_per_mtok IS 'Output price [USD per million tokens].';
COMMENT ON COLUMN api_prices.cached_input_usd_per_mtok IS 'Cache-hit input price [USD per million tokens].';
COMMENT ON COLUMN api_prices.cache_write_usd_per_mtok IS 'Cache-write input price [USD per million tokens].';
COMMENT ON COLUMN api_prices.source_id IS 'Source (sources.source_id).';
COMMENT ON COLUMN api_prices.observed_on IS 'Date the price was observed (for a package: the day it was pinned).';
COMMENT ON COLUMN api_prices.note IS 'Free text.';

CREATE TABLE api_model_aliases (
    model_id VARCHAR NOT NULL REFERENCES models (model_id),
    provider VARCHAR NOT NULL,
    provider_model_id VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL REFERENCES sources (source_id),
    observed_on DATE NOT NULL,
    note VARCHAR,
    PRIMARY KEY (model_id, provider, provider_model_id)
);
COMMENT ON TABLE api_model_aliases IS 'Which provider serves which project model, under which provider model id.';
COMMENT ON COLUMN api_model_aliases.model_id IS 'Project model id (models.model_id).';
COMMENT ON COLUMN api_model_aliases.provider IS 'API provider id as in the price source (deepseek, together, groq, ...).';
COMMENT ON COLUMN api_model_aliases.provider_model_id IS 'Model id as the provider prices it.';
COMMENT ON COLUMN api_model_aliases.source_id IS 'Source of the mapping (sources.source_id).';
COMMENT ON COLUMN api_model_aliases.observed_on IS 'Date observed.';
COMMENT ON COLUMN api_model_aliases.note IS 'Free text: quantisation or variant served, if known.';

CREATE TABLE api_batch_discounts (
    provider VARCHAR PRIMARY KEY,
    batch_discount_share DOUBLE NOT NULL CHECK (batch_discount_share > 0 AND batch_discount_share < 1),
    source_id VARCHAR NOT NULL REFERENCES sources (source_id),
    observed_on DATE NOT NULL,
    note VARCHAR
);
COMMENT ON TABLE api_batch_discounts IS 'Discount a provider gives for asynchronous batch requests.';
COMMENT ON COLUMN api_batch_discounts.provider IS 'API provider id.';
COMMENT ON COLUMN api_batch_discounts.batch_discount_share IS 'Share taken off input and output prices for batch requests [fraction].';
COMMENT ON COLUMN api_batch_discounts.source_id IS 'Source (sources.source_id).';
COMMENT ON COLUMN api_batch_discounts.observed_on IS 'Date observed.';
COMMENT ON COLUMN api_batch_discounts.note IS 'Conditions (turnaround time).';

CREATE TABLE exchange_rates (
    currency VARCHAR NOT NULL CHECK (regexp_matches(currency, '^[A-Z]{3}$') AND currency <> 'USD'),
    month DATE NOT NULL CHECK (day(month) = 1),
    units_per_usd DOUBLE NOT NULL CHECK (units_per_usd > 0),
    rate_kind VARCHAR NOT NULL CHECK (rate_kind IN ('monthly-average', 'month-end')),
    source_id VARCHAR NOT NULL REFERENCES sources (source_id),
    observed_on DATE NOT NULL,
    note VARCHAR NOT NULL,
    PRIMARY KEY (currency, month, source_id)
);
COMMENT ON TABLE exchange_rates IS 'Monthly reference exchange rates from a central bank: how many units of a currency one US dollar bought in a month. A date is converted at the rate of its month, or the newest month before it.';
COMMENT ON COLUMN exchange_rates.currency IS 'ISO 4217 code (EUR, GBP, JPY, ...).';
COMMENT ON COLUMN exchange_rates.month IS 'First day of the month the rate is for.';
COMMENT ON COLUMN exchange_rates.units_per_usd IS 'Units of the currency per US dollar [currency/USD].';
COMMENT ON COLUMN exchange_rates.rate_kind IS 'monthly-average (of the daily reference rates) or month-end.';
COMMENT ON COLUMN exchange_rates.source_id IS 'Source (sources.source_id).';
COMMENT ON COLUMN exchange_rates.observed_on IS 'Date the source file was last updated.';
COMMENT ON COLUMN exchange_rates.note IS 'Where in the source, and any conversion applied.';

CREATE TABLE seed_discrepancies (
    subject VARCHAR NOT NULL,
    seed_says VARCHAR NOT NULL,
    finding VARCHAR NOT NULL,
    source_id VARCHAR NOT NULL REFERENCES sources (source_id),
    observed_on DATE NOT NULL,
    PRIMARY KEY (subject, seed_says)
);
COMMENT ON TABLE seed_discrepancies IS 'Statements of the seed article that name something that does not exist or misstate a fact, with what is real.';
COMMENT ON COLUMN seed_discrepancies.subject IS 'What the statement is about (a model id or a family).';
COMMENT ON COLUMN seed_discrepancies.seed_says IS 'The seed article''s words.';
COMMENT ON COLUMN seed_discrepancies.finding IS 'What the sources say instead.';
COMMENT ON COLUMN seed_discrepancies.source_id IS 'Source of the finding (sources.source_id).';
COMMENT ON COLUMN seed_discrepancies.observed_on IS 'Date checked.';

CREATE TABLE build_info (
    key VARCHAR PRIMARY KEY,
    value VARCHAR NOT NULL
);
COMMENT ON TABLE build_info IS 'How the store was built: package versions and a digest of the inputs (no timestamps, so equal inputs give an equal store).';
COMMENT ON COLUMN build_info.key IS 'Name of the property.';
COMMENT ON COLUMN build_info.value IS 'Its value.';
