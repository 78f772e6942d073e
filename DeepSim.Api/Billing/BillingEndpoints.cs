using DeepSim.Api.Audit;
using DeepSim.Api.Auth;
using DeepSim.Api.Billing.Stripe;
using DeepSim.Api.Infrastructure;
using DeepSim.Api.Plans;
using Microsoft.AspNetCore.Http.HttpResults;

namespace DeepSim.Api.Billing;

/// <summary>The tenant's subscription, plan changes, invoices and payment (owners).</summary>
public static class BillingEndpoints
{
    public const string OverLimitsType = ProblemTypes.Base + "plan-change-over-limits";
    public const string BillingConflictType = ProblemTypes.Base + "billing-conflict";

    public static IEndpointRouteBuilder MapBillingEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/billing").WithTags("Billing");
        group.MapGet("/prices", Prices).WithName("billing.prices").WithSummary("Every plan's price per cycle (public)")
            .RequirePermission(Permission.Anonymous);
        group.MapGet("/", Account).WithName("billing.get")
            .WithSummary("The subscription, this period's solver time against the plan, the prices and the open balance")
            .RequirePermission(Permission.BillingManage);
        group.MapPost("/subscription/preview", Preview).WithName("billing.subscription.preview")
            .WithSummary("What changing to a plan and cycle would do and cost, without changing anything")
            .WithMetadata(ChangesNothing.Instance).ProducesProblem(StatusCodes.Status409Conflict).RequirePermission(Permission.BillingManage);
        group.MapPut("/subscription", Change).WithName("billing.subscription.change")
            .WithSummary("Change the plan or cycle: upgrades at once with proration, downgrades at the period's end")
            .ProducesBillingProblems()
            .RequirePermission(Permission.BillingManage);
        group.MapPost("/subscription/cancel", Cancel).WithName("billing.subscription.cancel")
            .WithSummary("Cancel at the end of the period (the tenant moves to Free then)").ProducesBillingProblems().RequirePermission(Permission.BillingManage);
        group.MapPost("/subscription/reactivate", Reactivate).WithName("billing.subscription.reactivate")
            .WithSummary("Undo a scheduled cancellation or downgrade").ProducesBillingProblems().RequirePermission(Permission.BillingManage);
        group.MapGet("/invoices", Invoices).WithName("billing.invoices.list").WithSummary("The tenant's invoices, newest first (paged)")
            .RequirePermission(Permission.BillingManage);
        group.MapGet("/invoices/{invoiceId:guid}", Invoice).WithName("billing.invoices.get").WithSummary("One invoice with its lines")
            .RequirePermission(Permission.BillingManage);
        group.MapGet("/invoices/{invoiceId:guid}/html", InvoiceHtml).WithName("billing.invoices.html").WithSummary("One invoice as a printable HTML page")
            .Produces<Stream>(StatusCodes.Status200OK, "text/html")
            .RequirePermission(Permission.BillingManage);
        group.MapPost("/invoices/{invoiceId:guid}/pay", Pay).WithName("billing.invoices.pay")
            .WithSummary("Pay an open invoice (settled by the local ledger when no payment provider is configured)")
            .ProducesBillingProblems()
            .RequirePermission(Permission.BillingManage);
        group.MapPost("/checkout", Checkout).WithName("billing.checkout")
            .WithSummary("A Stripe Checkout page that subscribes the tenant to a paid plan (409 without Stripe)")
            .ProducesBillingProblems()
            .RequirePermission(Permission.BillingManage);
        group.MapPost("/portal", Portal).WithName("billing.portal")
            .WithSummary("A Stripe Billing Portal page where the owner manages payment methods (409 without Stripe)")
            .ProducesBillingProblems()
            .RequirePermission(Permission.BillingManage);
        group.MapPost("/stripe/webhook", StripeWebhook).WithName("billing.stripe.webhook")
            .WithSummary("Stripe's webhook events (signed with the endpoint secret; each applied once)")
            .RequirePermission(Permission.Anonymous);
        return routes;
    }

    /// <summary>What is wrong with a requested plan and cycle, by field.</summary>
    private static FieldErrors PlanChoiceErrors(string? plan, string cycle, IReadOnlyDictionary<string, Plan> all)
    {
        var errors = new FieldErrors();
        if (string.IsNullOrWhiteSpace(plan))
        {
            errors.Add("plan", "is required");
        }
        else if (!all.ContainsKey(plan))
        {
            errors.Add("plan", $"must be one of {string.Join(", ", all.Values.OrderBy(p => p.Priority).Select(p => p.Name))}");
        }
        if (!Cycles.IsKnown(cycle))
        {
            errors.Add("cycle", $"must be one of {string.Join(", ", Cycles.All)}");
        }
        return errors;
    }

    public const string StripeNotConfigured = "Payments are not handled by Stripe here (no Stripe:SecretKey is configured): the local ledger settles invoices.";

    public static async Task<Results<Ok<StripeRedirectResponse>, ValidationProblem, ProblemHttpResult>> Checkout(
        CheckoutRequest request, HttpContext http, TenantDb db, BillingService billing, PlanCatalog plans, StripeGateway stripe, CancellationToken ct)
    {
        var all = await plans.AllAsync(ct);
        var cycle = request.Cycle ?? Cycles.Monthly;
        if (PlanChoiceErrors(request.Plan, cycle, all) is { Any: true } errors)
        {
            return errors.ToProblem();
        }
        if (!stripe.IsConfigured)
        {
            return Problems.Conflict(StripeNotConfigured, BillingConflictType);
        }
        var (refusal, url) = await db.ForActorAsync(Actor.FromPrincipal(http.User), async s =>
        {
            var sub = await billing.EnsureSubscriptionAsync(s, forUpdate: true, ct);
            var price = BillingService.PriceOf(await BillingService.PricesAsync(s, ct), request.Plan!, cycle);
            if (price is not { StripePrice: not null })
            {
                return ("The plan has no price to subscribe to: choose a paid plan.", (string?)null);
            }
            if (BillingService.HasLiveStripeSubscription(sub))
            {
                return ("The tenant already has a Stripe subscription: change its plan instead (PUT /api/v1/billing/subscription).", null);
            }
            return ((string?)null, await billing.CheckoutUrlAsync(s, sub, price, ct));
        }, ct);
        return refusal is not null ? Problems.Conflict(refusal, BillingConflictType) : TypedResults.Ok(new StripeRedirectResponse(url!));
    }

    public static async Task<Results<Ok<StripeRedirectResponse>, ProblemHttpResult>> Portal(HttpContext http, TenantDb db, BillingService billing,
        StripeGateway stripe, CancellationToken ct)
    {
        if (!stripe.IsConfigured)
        {
            return Problems.Conflict(StripeNotConfigured, BillingConflictType);
        }
        var url = await db.ForActorAsync(Actor.FromPrincipal(http.User), s => billing.PortalUrlAsync(s, ct), ct);
        return TypedResults.Ok(new StripeRedirectResponse(url));
    }

    public static async Task<Results<Ok<StripeWebhookResponse>, ProblemHttpResult>> StripeWebhook(HttpRequest request, StripeWebhooks webhooks, CancellationToken ct)
    {
        // The signature covers the bytes Stripe sent: the body is read raw, never bound or re-serialised.
        using var reader = new StreamReader(request.Body, System.Text.Encoding.UTF8);
        var body = await reader.ReadToEndAsync(ct);
        var outcome = await webhooks.HandleAsync(body, request.Headers["Stripe-Signature"].ToString(), ct);
        return outcome.Verified
            ? TypedResults.Ok(new StripeWebhookResponse(outcome.Result))
            : TypedResults.Problem(outcome.Refusal, statusCode: StatusCodes.Status400BadRequest, title: "Webhook refused", type: WebhookRefusedType);
    }

    public const string WebhookRefusedType = ProblemTypes.Base + "stripe-webhook-refused";

    public static async Task<Ok<IReadOnlyList<PriceView>>> Prices(TenantDb db, PlanCatalog plans, CancellationToken ct)
    {
        var prices = await db.WithoutTenantAsync(s => BillingService.PricesAsync(s, ct), ct);
        return TypedResults.Ok(await PriceViewsAsync(prices, plans, ct));
    }

    private static async Task<IReadOnlyList<PriceView>> PriceViewsAsync(IEnumerable<PlanPrice> prices, PlanCatalog plans, CancellationToken ct)
    {
        var all = await plans.AllAsync(ct);
        return prices.Where(p => all.ContainsKey(p.Plan))
            .Select(p => new PriceView(p.Plan, all[p.Plan].DisplayName, p.Cycle, p.Amount, p.Currency, all[p.Plan].Priority))
            .OrderBy(p => p.Rank).ThenBy(p => p.Cycle == Cycles.Monthly ? 0 : 1).ToList();
    }

    public static async Task<Ok<BillingAccountResponse>> Account(HttpContext http, TenantDb db, BillingService billing, PlanCatalog plans,
        PaymentProvider provider, CancellationToken ct)
    {
        var account = await db.ForActorAsync(Actor.FromPrincipal(http.User), async s =>
        {
            var sub = await billing.EnsureSubscriptionAsync(s, forUpdate: false, ct);
            var prices = await BillingService.PricesAsync(s, ct);
            var open = await s.ExecuteScalarAsync<long>("select coalesce(sum(amount_due - amount_paid), 0) from invoices where status = 'open'", null, ct);
            return new BillingAccountResponse(await billing.ViewAsync(sub, prices, ct), await billing.UsageAsync(s, sub, ct),
                await PriceViewsAsync(prices, plans, ct), open, provider.IsConfigured);
        }, ct);
        return TypedResults.Ok(account);
    }

    public static Task<Results<Ok<PlanChangeResponse>, ValidationProblem, ProblemHttpResult>> Preview(
        ChangePlanRequest request, HttpContext http, TenantDb db, BillingService billing, PlanCatalog plans, CancellationToken ct) =>
        ChangeOrPreviewAsync(request, http, db, billing, plans, apply: false, ct);

    public static Task<Results<Ok<PlanChangeResponse>, ValidationProblem, ProblemHttpResult>> Change(
        ChangePlanRequest request, HttpContext http, TenantDb db, BillingService billing, PlanCatalog plans, CancellationToken ct) =>
        ChangeOrPreviewAsync(request, http, db, billing, plans, apply: true, ct);

    private static async Task<Results<Ok<PlanChangeResponse>, ValidationProblem, ProblemHttpResult>> ChangeOrPreviewAsync(
        ChangePlanRequest request, HttpContext http, TenantDb db, BillingService billing, PlanCatalog plans, bool apply, CancellationToken ct)
    {
        var all = await plans.AllAsync(ct);
        var cycle = request.Cycle ?? Cycles.Monthly;
        if (PlanChoiceErrors(request.Plan, cycle, all) is { Any: true } errors)
        {
            return errors.ToProblem();
        }
        var outcome = await db.ForActorAsync(Actor.FromPrincipal(http.User), async s =>
        {
            var result = await billing.ChangePlanAsync(s, request.Plan!, cycle, apply, ct);
            if (!apply || result.Response is null)
            {
                s.Rollback();
            }
            return result;
        }, ct);
        if (outcome.Conflict is { } conflict)
        {
            return Problems.Conflict(conflict, BillingConflictType);
        }
        if (outcome.Violations.Count > 0)
        {
            var plan = all[request.Plan!];
            var said = string.Join("; ", outcome.Violations.Select(v => $"{v.Usage} {(v.Limit == "members" ? "members and open invitations" : v.Limit)} where {plan.DisplayName} allows {v.Max} ({v.Over} over)"));
            return TypedResults.Problem($"The tenant is over the {plan.DisplayName} plan's limits: {said}. Remove the excess first.",
                statusCode: StatusCodes.Status409Conflict, title: "Over the new plan's limits", type: OverLimitsType,
                extensions: new Dictionary<string, object?> { ["plan"] = plan.Name, ["violations"] = outcome.Violations });
        }
        return TypedResults.Ok(outcome.Response!);
    }

    public static async Task<Results<Ok<SubscriptionView>, ProblemHttpResult>> Cancel(HttpContext http, TenantDb db, BillingService billing, CancellationToken ct) =>
        await ScheduleAsync(http, db, billing, billing.CancelAsync, ct);

    public static async Task<Results<Ok<SubscriptionView>, ProblemHttpResult>> Reactivate(HttpContext http, TenantDb db, BillingService billing, CancellationToken ct) =>
        await ScheduleAsync(http, db, billing, billing.ReactivateAsync, ct);

    private static async Task<Results<Ok<SubscriptionView>, ProblemHttpResult>> ScheduleAsync(HttpContext http, TenantDb db, BillingService billing,
        Func<DbScope, CancellationToken, Task<string?>> change, CancellationToken ct)
    {
        var (conflict, view) = await db.ForActorAsync(Actor.FromPrincipal(http.User), async s =>
        {
            var refused = await change(s, ct);
            if (refused is not null)
            {
                s.Rollback();
                return (refused, (SubscriptionView?)null);
            }
            var sub = await billing.EnsureSubscriptionAsync(s, forUpdate: false, ct);
            return ((string?)null, (SubscriptionView?)await billing.ViewAsync(sub, await BillingService.PricesAsync(s, ct), ct));
        }, ct);
        return conflict is not null ? Problems.Conflict(conflict, BillingConflictType) : TypedResults.Ok(view!);
    }

    public static async Task<Ok<Page<InvoiceSummary>>> Invoices(HttpContext http, TenantDb db, int? page, int? pageSize, CancellationToken ct)
    {
        var paging = PageRequest.From(page, pageSize);
        var (items, total) = await db.ForActorAsync(Actor.FromPrincipal(http.User), async s =>
        {
            var total = await s.ExecuteScalarAsync<long>("select count(*) from invoices", null, ct);
            var items = await s.QueryAsync<InvoiceSummary>(
                $"select {InvoiceSummary.Columns} from invoices order by created_at desc, number desc limit @limit offset @offset",
                new { limit = paging.PageSize, offset = paging.Offset }, ct);
            return (items.ToList(), total);
        }, ct);
        return TypedResults.Ok(new Page<InvoiceSummary>(items, paging.PageNumber, paging.PageSize, total));
    }

    public static async Task<Results<Ok<InvoiceResponse>, ProblemHttpResult>> Invoice(Guid invoiceId, HttpContext http, TenantDb db, CancellationToken ct)
    {
        var invoice = await db.ForActorAsync(Actor.FromPrincipal(http.User), s => BillingService.InvoiceAsync(s, invoiceId, ct), ct);
        return invoice is null ? Problems.NotFound("No such invoice.") : TypedResults.Ok(invoice);
    }

    public static async Task<Results<ContentHttpResult, ProblemHttpResult>> InvoiceHtml(Guid invoiceId, HttpContext http, TenantDb db,
        Microsoft.Extensions.Options.IOptions<BillingSettings> settings, CancellationToken ct)
    {
        var (invoice, tenant) = await db.ForActorAsync(Actor.FromPrincipal(http.User), async s =>
            (await BillingService.InvoiceAsync(s, invoiceId, ct),
             await s.QuerySingleOrDefaultAsync<(string Name, string Slug)>("select name, slug from tenants where id = current_tenant_id()", null, ct)), ct);
        return invoice is null ? Problems.NotFound("No such invoice.")
            : TypedResults.Content(InvoiceDocument.Render(invoice, tenant.Name, tenant.Slug, settings.Value.Seller), "text/html; charset=utf-8");
    }

    public static async Task<Results<Ok<InvoiceResponse>, ProblemHttpResult>> Pay(Guid invoiceId, HttpContext http, TenantDb db, PaymentProvider provider,
        CancellationToken ct)
    {
        var actor = Actor.FromPrincipal(http.User);
        var outcome = await db.ForActorAsync<(ProblemHttpResult?, InvoiceResponse?)>(actor, async s =>
        {
            var invoice = await BillingService.InvoiceAsync(s, invoiceId, ct);
            if (invoice is null)
            {
                return (Problems.NotFound("No such invoice."), (InvoiceResponse?)null);
            }
            if (invoice.Invoice.Status != InvoiceStatus.Open)
            {
                return (Problems.Conflict($"Invoice {invoice.Invoice.Number} is {invoice.Invoice.Status}: only an open invoice can be paid.", BillingConflictType), null);
            }
            var refused = await provider.PayAsync(s, invoice.Invoice, ct);
            if (refused is not null)
            {
                return (Problems.Conflict(refused, BillingConflictType), null);
            }
            return ((ProblemHttpResult?)null, await BillingService.InvoiceAsync(s, invoiceId, ct));
        }, ct);
        return outcome.Item1 is { } problem ? problem : TypedResults.Ok(outcome.Item2!);
    }
}

/// <summary>The refusals of an endpoint that changes a subscription or pays: the billing state forbids it (409), or the payment provider failed (502).</summary>
internal static class BillingProblemMetadata
{
    public static RouteHandlerBuilder ProducesBillingProblems(this RouteHandlerBuilder builder) =>
        builder.ProducesProblem(StatusCodes.Status409Conflict).ProducesProblem(StatusCodes.Status502BadGateway);
}
