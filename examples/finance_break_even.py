"""Self-host Llama 3.1 70B on rented H100s or pay for GPT-4o per token? Run: python examples/finance_break_even.py"""
import costmodel
from costmodel.scenarios import ApiOption, SelfHostOption, Workload, crossover

workload = Workload(tokens_per_month=3e9, input_tokens_per_request=1500, output_tokens_per_request=300, peak_to_mean=2.5)
self_host = SelfHostOption(model="llama-3.1-70b", gpu="H100", precision="fp8", pricing_mode="on-demand")
api = ApiOption.parse("openai/gpt-4o")

result = crossover(workload, self_host, api)
print(f"self-host: ${result.self_host_usd_per_month:,.0f}/month on {result.gpus} GPU(s)")
print(f"API:       ${result.api_usd_per_month:,.0f}/month")
if result.break_even_tokens_per_month is None:
    print("break-even: never at these prices")
else:
    print(f"break-even: {result.break_even_tokens_per_month:,.0f} tokens/month")
print(costmodel.gpu_prices(gpu="H100", pricing_mode="on-demand").select("provider", "usd_per_gpu_hour").head(5))
