def gym(request):
    tenant = getattr(request, "tenant", None)
    if tenant is None or tenant.is_public:
        return {"gym": None}
    return {"gym": tenant}
