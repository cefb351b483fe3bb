-- Argo CD health check for modeldeploy.io ModelDeployment.
-- Install it as resource.customizations.health.modeldeploy.io_ModelDeployment in argocd-cm
-- (see docs/operating.md). Argo CD runs it with gopher-lua (the Lua 5.1 language), the
-- repository's test with Lua 5.4: keep to what both accept.
--
-- It reads the status the operator reports, in this order:
--   status.observedGeneration missing or behind metadata.generation -> Progressing
--   spec.paused                                                      -> Suspended
--   Stalled=True                                                     -> Degraded
--   canary aborted (status.canary.phase Aborted, Degraded CanaryAborted) -> Degraded
--   Reconciling=True                                                 -> Progressing
--   Ready=True (Serving, ScaledToZero, Paused)                       -> Healthy
--   Ready False, Unknown or missing                                  -> Progressing

local function condition(conditions, wanted)
  for _, c in ipairs(conditions) do
    if c.type == wanted then
      return c
    end
  end
  return nil
end

local function isTrue(c)
  return c ~= nil and c.status == "True"
end

local function describe(c)
  return (c.reason or "") .. ": " .. (c.message or "")
end

-- An aborted canary stays aborted until the spec changes: the operator never rewrites the
-- user's spec, so the fix belongs in Git.
local function canaryAborted(status, conditions)
  local degraded = condition(conditions, "Degraded")
  local byPhase = status.canary ~= nil and status.canary.phase == "Aborted"
  local byCondition = isTrue(degraded) and degraded.reason == "CanaryAborted"
  if not byPhase and not byCondition then
    return nil
  end
  local why = (byPhase and status.canary.message) or (degraded and degraded.message) or ""
  return "canary aborted: " .. why ..
    " (revert or change spec.canary in Git; the operator never edits your spec)"
end

local function health(obj)
  local generation = (obj.metadata and obj.metadata.generation) or 0
  local status = obj.status or {}
  -- Without this check Argo CD would read the previous generation's Ready as the answer
  -- for a spec it just synced.
  if status.observedGeneration == nil or status.observedGeneration ~= generation then
    return "Progressing",
      string.format("waiting for the operator to observe generation %d", generation)
  end
  local conditions = status.conditions or {}
  local ready = condition(conditions, "Ready")
  if obj.spec ~= nil and obj.spec.paused == true then
    -- Ready keeps describing what actually runs while the rollout is frozen.
    return "Suspended", (ready and describe(ready)) or "spec.paused is true"
  end
  local stalled = condition(conditions, "Stalled")
  if isTrue(stalled) then
    return "Degraded", describe(stalled)
  end
  local aborted = canaryAborted(status, conditions)
  if aborted ~= nil then
    return "Degraded", aborted
  end
  local reconciling = condition(conditions, "Reconciling")
  if isTrue(reconciling) then
    return "Progressing", describe(reconciling)
  end
  if isTrue(ready) then
    return "Healthy", describe(ready)
  end
  if ready ~= nil then
    return "Progressing", describe(ready)
  end
  return "Progressing", "waiting for the operator to report the Ready condition"
end

local hs = {}
hs.status, hs.message = health(obj)
return hs
