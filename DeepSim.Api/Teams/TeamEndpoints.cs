using DeepSim.Api.Audit;
using DeepSim.Api.Auth;
using DeepSim.Api.Infrastructure;
using DeepSim.Api.Plans;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;
using Npgsql;

namespace DeepSim.Api.Teams;

public sealed record MemberResponse(Guid UserId, string Email, string DisplayName, string Role, DateTime JoinedAt);
public sealed record ChangeRoleRequest(string? Role);
public sealed record InviteRequest(string? Email, string? Role);
public sealed record InvitationResponse(Guid Id, string Email, string Role, DateTime ExpiresAt, DateTime CreatedAt);
public sealed record AcceptInvitationRequest(string? Token, string? Password, string? DisplayName);

/// <summary>Members, roles and invitations of the caller's tenant.</summary>
public static class TeamEndpoints
{
    public const string InvitationPrefix = "inv";

    private sealed record MemberRole(string Role);
    private sealed record InvitationRow(Guid Id, string EmailNormalized, string Role, byte[] TokenHash, DateTime ExpiresAt, bool Open, string Plan, string Status);
    private sealed record UserRow(Guid Id, string? PasswordParameters);

    public static IEndpointRouteBuilder MapTeamEndpoints(this IEndpointRouteBuilder routes)
    {
        var group = routes.MapGroup("/api/v1/team").WithTags("Team");
        group.MapGet("/members", ListMembers).WithName("team.members.list").WithSummary("Members of the tenant and their roles (paged)")
            .RequirePermission(Permission.TeamRead);
        group.MapPut("/members/{userId:guid}/role", ChangeRole).WithName("team.members.role").WithSummary("Change a member's role (the last owner cannot be demoted)")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .RequirePermission(Permission.TeamManage);
        group.MapDelete("/members/{userId:guid}", RemoveMember).WithName("team.members.remove").WithSummary("Remove a member (the last owner cannot be removed)")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .RequirePermission(Permission.TeamManage);
        group.MapGet("/invitations", ListInvitations).WithName("team.invitations.list").WithSummary("Open invitations (paged)")
            .RequirePermission(Permission.TeamManage);
        group.MapPost("/invitations", Invite).WithName("team.invitations.create").WithSummary("Invite someone by email (single-use, expiring token sent by mail)")
            .ProducesProblem(StatusCodes.Status409Conflict)
            .RequirePermission(Permission.TeamManage);
        group.MapDelete("/invitations/{invitationId:guid}", RevokeInvitation).WithName("team.invitations.revoke").WithSummary("Revoke an open invitation")
            .RequirePermission(Permission.TeamManage);
        routes.MapPost("/api/v1/invitations/accept", Accept).WithTags("Team").WithName("invitations.accept")
            .WithSummary("Accept an invitation: join the tenant (creating the account if new) and sign in")
            // 401 an existing account's wrong password, 404 an invitation that is not (or no longer) valid.
            .ProducesProblem(StatusCodes.Status401Unauthorized).ProducesProblem(StatusCodes.Status404NotFound)
            .RequirePermission(Permission.Anonymous);
        return routes;
    }

    public static async Task<Ok<Page<MemberResponse>>> ListMembers(HttpContext http, TenantDb db, int? page, int? pageSize, CancellationToken ct)
    {
        var paging = PageRequest.From(page, pageSize);
        var (items, total) = await db.ForActorAsync(Actor.FromPrincipal(http.User), async s =>
        {
            var total = await s.ExecuteScalarAsync<long>("select count(*) from memberships", null, ct);
            var items = await s.QueryAsync<MemberResponse>(
                """
                select u.id as "UserId", u.email as "Email", u.display_name as "DisplayName", m.role as "Role", m.created_at as "JoinedAt"
                from memberships m join users u on u.id = m.user_id order by m.created_at, u.id limit @limit offset @offset
                """, new { limit = paging.PageSize, offset = paging.Offset }, ct);
            return (items.ToList(), total);
        }, ct);
        return TypedResults.Ok(new Page<MemberResponse>(items, paging.PageNumber, paging.PageSize, total));
    }

    /// <summary>Owners are managed by owners only; an admin can neither grant nor touch the owner role.</summary>
    private static bool MayManage(Actor actor, string currentRole, string? newRole) =>
        actor.Role == Roles.Owner || (currentRole != Roles.Owner && newRole != Roles.Owner);

    public static async Task<Results<Ok<MemberResponse>, ValidationProblem, ProblemHttpResult>> ChangeRole(
        Guid userId, ChangeRoleRequest request, HttpContext http, TenantDb db, CancellationToken ct)
    {
        if (!Roles.IsTenantRole(request.Role))
        {
            return Problems.Validation("role", $"must be one of {string.Join(", ", Roles.TenantRoles)}");
        }
        var actor = Actor.FromPrincipal(http.User);
        return await db.ForActorAsync<Results<Ok<MemberResponse>, ValidationProblem, ProblemHttpResult>>(actor, async s =>
        {
            var current = await LockMemberAsync(s, userId, ct);
            if (current is null)
            {
                return Problems.NotFound("No such member.");
            }
            if (!MayManage(actor, current.Role, request.Role))
            {
                return Problems.Forbidden("Only an owner can grant, change or remove the owner role.");
            }
            if (current.Role == Roles.Owner && request.Role != Roles.Owner && await OwnerCountAsync(s, ct) <= 1)
            {
                return Problems.Conflict("The last owner cannot be demoted; make someone else owner first.", ProblemTypes.LastOwner);
            }
            await s.ExecuteAsync("update memberships set role = @role where user_id = @userId", new { role = request.Role, userId }, ct);
            await Outbox.AddAsync(s, "member.role_changed", new { tenantId = s.TenantId, userId, from = current.Role, to = request.Role }, ct);
            var member = await s.QuerySingleOrDefaultAsync<MemberResponse>(
                """
                select u.id as "UserId", u.email as "Email", u.display_name as "DisplayName", m.role as "Role", m.created_at as "JoinedAt"
                from memberships m join users u on u.id = m.user_id where m.user_id = @userId
                """, new { userId }, ct);
            return TypedResults.Ok(member!);
        }, ct);
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> RemoveMember(Guid userId, HttpContext http, TenantDb db, CancellationToken ct)
    {
        var actor = Actor.FromPrincipal(http.User);
        return await db.ForActorAsync<Results<NoContent, ProblemHttpResult>>(actor, async s =>
        {
            var current = await LockMemberAsync(s, userId, ct);
            if (current is null)
            {
                return Problems.NotFound("No such member.");
            }
            if (!MayManage(actor, current.Role, null))
            {
                return Problems.Forbidden("Only an owner can remove an owner.");
            }
            if (current.Role == Roles.Owner && await OwnerCountAsync(s, ct) <= 1)
            {
                return Problems.Conflict("The last owner cannot be removed.", ProblemTypes.LastOwner);
            }
            await s.ExecuteAsync("delete from memberships where user_id = @userId", new { userId }, ct);
            // Their sessions in this tenant end now (their tokens already fail: membership is checked per request).
            await s.ExecuteAsync("update refresh_tokens set revoked_at = now() where user_id = @userId and revoked_at is null", new { userId }, ct);
            await Outbox.AddAsync(s, "member.removed", new { tenantId = s.TenantId, userId }, ct);
            return TypedResults.NoContent();
        }, ct);
    }

    private static Task<MemberRole?> LockMemberAsync(DbScope s, Guid userId, CancellationToken ct) =>
        s.QuerySingleOrDefaultAsync<MemberRole>("select role as \"Role\" from memberships where user_id = @userId for update", new { userId }, ct);

    private static async Task<long> OwnerCountAsync(DbScope s, CancellationToken ct)
    {
        // Lock every owner row so two concurrent demotions cannot both see "two owners".
        var owners = await s.QueryAsync<Guid>("select user_id from memberships where role = 'owner' for update", null, ct);
        return owners.LongCount();
    }

    public static async Task<Ok<Page<InvitationResponse>>> ListInvitations(HttpContext http, TenantDb db, int? page, int? pageSize, CancellationToken ct)
    {
        var paging = PageRequest.From(page, pageSize);
        const string Open = "accepted_at is null and revoked_at is null and expires_at > now()";
        var (items, total) = await db.ForActorAsync(Actor.FromPrincipal(http.User), async s =>
        {
            var total = await s.ExecuteScalarAsync<long>($"select count(*) from invitations where {Open}", null, ct);
            var items = await s.QueryAsync<InvitationResponse>(
                $"""
                select id as "Id", email_normalized as "Email", role as "Role", expires_at as "ExpiresAt", created_at as "CreatedAt"
                from invitations where {Open} order by created_at, id limit @limit offset @offset
                """, new { limit = paging.PageSize, offset = paging.Offset }, ct);
            return (items.ToList(), total);
        }, ct);
        return TypedResults.Ok(new Page<InvitationResponse>(items, paging.PageNumber, paging.PageSize, total));
    }

    public static async Task<Results<Created<InvitationResponse>, ValidationProblem, ProblemHttpResult>> Invite(
        InviteRequest request, HttpContext http, TenantDb db, IOptions<AuthSettings> options, IOptions<Mail.MailSettings> mail, TimeProvider time,
        AuditNotes audit, CancellationToken ct)
    {
        var errors = new FieldErrors();
        AuthEndpoints.ValidateEmail(errors, "email", request.Email);
        if (!Roles.IsTenantRole(request.Role))
        {
            errors.Add("role", $"must be one of {string.Join(", ", Roles.TenantRoles)}");
        }
        if (errors.Any)
        {
            return errors.ToProblem();
        }
        var actor = Actor.FromPrincipal(http.User);
        if (request.Role == Roles.Owner && actor.Role != Roles.Owner)
        {
            return Problems.Forbidden("Only an owner can invite an owner.");
        }
        var email = TokenService.NormalizeEmail(request.Email!);
        var id = Guid.NewGuid();
        var expires = time.GetUtcNow().UtcDateTime.AddDays(options.Value.InvitationDays);
        ProblemHttpResult? overLimit = null;
        try
        {
            var created = await db.ForActorAsync(actor, async s =>
            {
                var tenant = s.RequireTenant();
                var alreadyMember = await s.ExecuteScalarAsync<bool>(
                    "select exists (select 1 from memberships m join users u on u.id = m.user_id where u.email_normalized = @email)", new { email }, ct);
                if (alreadyMember)
                {
                    return null;
                }
                if ((overLimit = await PlanLimits.EnsureCanAddMemberAsync(s, countOpenInvitations: true, ct)) is not null)
                {
                    return null;
                }
                var token = TokenService.CreateOpaqueToken(InvitationPrefix, tenant, id);
                await s.ExecuteAsync(
                    """
                    insert into invitations (id, tenant_id, email_normalized, role, token_hash, invited_by, expires_at)
                    values (@id, @tenant, @email, @role, @hash, @by, @expires)
                    """,
                    new { id, tenant, email, role = request.Role, hash = TokenService.HashOpaqueToken(token), by = actor.Id, expires }, ct);
                var link = mail.Value.WebLink($"invitations/accept?token={Uri.EscapeDataString(token)}");
                await Outbox.AddMailAsync(s, email, "You are invited to DeepSim",
                    $"You have been invited to join a DeepSim team as {request.Role}. Accept within {options.Value.InvitationDays} days with this token: {token}"
                    + (link is null ? "" : $"\n\nOr open: {link}"), ct);
                await Outbox.AddAsync(s, "invitation.created", new { tenantId = tenant, invitationId = id, role = request.Role }, ct);
                return await s.QuerySingleOrDefaultAsync<InvitationResponse>(
                    "select id as \"Id\", email_normalized as \"Email\", role as \"Role\", expires_at as \"ExpiresAt\", created_at as \"CreatedAt\" from invitations where id = @id",
                    new { id }, ct);
            }, ct);
            audit.Target = id.ToString();
            if (overLimit is not null)
            {
                return overLimit;
            }
            return created is null
                ? Problems.Conflict("That person is already a member.")
                : TypedResults.Created($"/api/v1/team/invitations/{id}", created);
        }
        catch (PostgresException ex) when (ex.SqlState == PostgresErrorCodes.UniqueViolation)
        {
            return Problems.Conflict("An open invitation for that email already exists.");
        }
    }

    public static async Task<Results<NoContent, ProblemHttpResult>> RevokeInvitation(Guid invitationId, HttpContext http, TenantDb db, CancellationToken ct)
    {
        var revoked = await db.ForActorAsync(Actor.FromPrincipal(http.User), async s =>
        {
            var n = await s.ExecuteAsync(
                "update invitations set revoked_at = now() where id = @invitationId and accepted_at is null and revoked_at is null",
                new { invitationId }, ct);
            if (n > 0)
            {
                await Outbox.AddAsync(s, "invitation.revoked", new { tenantId = s.TenantId, invitationId }, ct);
            }
            return n;
        }, ct);
        return revoked == 0 ? Problems.NotFound("No such open invitation.") : TypedResults.NoContent();
    }

    public static async Task<Results<Ok<TokenResponse>, ValidationProblem, ProblemHttpResult>> Accept(
        AcceptInvitationRequest request, TenantDb db, PasswordHasher hasher, Sessions sessions, AuditNotes audit, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(request.Token))
        {
            return Problems.Validation("token", "is required");
        }
        var token = request.Token.Trim();
        var invalid = TypedResults.Problem("The invitation is not valid, already used, revoked or expired.", statusCode: StatusCodes.Status404NotFound,
            title: "Invitation not valid", type: ProblemTypes.InvitationInvalid);
        if (!TokenService.TryParseOpaqueToken(token, InvitationPrefix, out var tenantId, out var invitationId))
        {
            return invalid;
        }
        return await db.InTenantAsync<Results<Ok<TokenResponse>, ValidationProblem, ProblemHttpResult>>(tenantId, async s =>
        {
            var invitation = await s.QuerySingleOrDefaultAsync<InvitationRow>(
                """
                select i.id as "Id", i.email_normalized as "EmailNormalized", i.role as "Role", i.token_hash as "TokenHash", i.expires_at as "ExpiresAt",
                       (i.accepted_at is null and i.revoked_at is null and i.expires_at > now()) as "Open", t.plan as "Plan", t.status as "Status"
                from invitations i join tenants t on t.id = i.tenant_id where i.id = @invitationId for update of i
                """, new { invitationId }, ct);
            if (invitation is null || !invitation.Open || invitation.Status != "active" || !TokenService.OpaqueTokenMatches(token, invitation.TokenHash))
            {
                return invalid;
            }
            // The plan may have shrunk since the invitation was sent: the member limit holds at the moment of joining.
            if (await PlanLimits.EnsureCanAddMemberAsync(s, countOpenInvitations: false, ct) is { } overLimit)
            {
                return overLimit;
            }
            var user = await s.QuerySingleOrDefaultAsync<UserRow>(
                "select id as \"Id\", auth_password_parameters(id) as \"PasswordParameters\" from users where email_normalized = @email", new { email = invitation.EmailNormalized }, ct);
            Guid userId;
            if (user is null)
            {
                var errors = new FieldErrors().Required("displayName", request.DisplayName, 200);
                AuthEndpoints.ValidatePassword(errors, "password", request.Password);
                if (errors.Any)
                {
                    return errors.ToProblem();
                }
                userId = Guid.NewGuid();
                await s.ExecuteAsync(
                    "insert into users (id, email, email_normalized, display_name, password_hash, email_verified_at) values (@userId, @email, @email, @name, @hash, now())",
                    new { userId, email = invitation.EmailNormalized, name = request.DisplayName!.Trim(), hash = hasher.Hash(request.Password!) }, ct);
            }
            else
            {
                // An existing account joins only with its own password: the token alone does not grant a sign-in.
                if (string.IsNullOrEmpty(request.Password)
                    || !await AuthEndpoints.PasswordMatchesAsync(s, hasher, user.Id, user.PasswordParameters, request.Password, ct))
                {
                    return Problems.Unauthorized(AuthEndpoints.InvalidCredentialsDetail, ProblemTypes.InvalidCredentials);
                }
                userId = user.Id;
                // The invitation came to this address: accepting it proves the address.
                await s.ExecuteAsync("update users set email_verified_at = coalesce(email_verified_at, now()) where id = @userId", new { userId }, ct);
            }
            await s.ExecuteAsync("update invitations set accepted_at = now() where id = @invitationId", new { invitationId }, ct);
            await s.ExecuteAsync("insert into memberships (tenant_id, user_id, role) values (@tenantId, @userId, @role) on conflict do nothing",
                new { tenantId, userId, role = invitation.Role }, ct);
            await Outbox.AddAsync(s, "member.joined", new { tenantId, userId, role = invitation.Role }, ct);
            audit.TenantId = tenantId;
            audit.UserId = userId;
            audit.Target = invitationId.ToString();
            var role = await s.ExecuteScalarAsync<string>("select role from memberships where user_id = @userId", new { userId }, ct);
            return TypedResults.Ok(AuthEndpoints.ToResponse(await sessions.StartAsync(s, userId, role!, invitation.Plan, ct)));
        }, ct);
    }
}
